@echo off
rem Install secxfer from this offline kit (Windows x64, Python 3.11-3.13). No network.
rem   install.cmd [-Venv FOLDER]   (default: %LOCALAPPDATA%\Programs\secxfer)
rem Windows PowerShell 5.1 (part of Windows 10 and 11) checks SHA256SUMS and runs install.py.
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1" %*
set rc=%ERRORLEVEL%
if "%~1"=="" pause
exit /b %rc%
