# Install secxfer from this offline kit (Windows x64, Python 3.11-3.13). No network.
#   powershell -ExecutionPolicy Bypass -File install.ps1 [-Venv FOLDER]
#   (default FOLDER: %LOCALAPPDATA%\Programs\secxfer)
param([string]$Venv = "")
# Continue: a missing "py -3.x" writes to stderr, which "Stop" would turn into a terminating error.
$ErrorActionPreference = "Continue"
$kit = $PSScriptRoot

# 1. Every file against SHA256SUMS before anything from the kit runs (install.py checks again).
$sums = Join-Path $kit "SHA256SUMS"
if (-not (Test-Path -LiteralPath $sums -PathType Leaf)) {
    Write-Host "secxfer kit: ERROR: SHA256SUMS is missing; nothing was installed"
    exit 3
}
$bad = 0
foreach ($line in Get-Content -LiteralPath $sums -Encoding UTF8) {
    if ($line.Trim() -eq "") { continue }
    $expected, $name = $line -split "  ", 2
    $path = Join-Path $kit ($name.TrimStart("*") -replace "/", "\")
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        Write-Host "missing: $name"; $bad++; continue
    }
    $actual = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash
    if ($actual -ne $expected.Trim().ToUpper()) { Write-Host "SHA-256 differs: $name"; $bad++ }
}
if ($bad -gt 0) {
    Write-Host "secxfer kit: ERROR: $bad file(s) differ from SHA256SUMS; nothing was installed"
    exit 3
}

# 2. A Python the kit has wheels for: the py launcher first, then python on PATH.
$python = $null
foreach ($candidate in @(@("py", "-3.13"), @("py", "-3.12"), @("py", "-3.11"), @("python"))) {
    $exe = $candidate[0]; $rest = @($candidate | Select-Object -Skip 1)
    if (-not (Get-Command $exe -ErrorAction SilentlyContinue)) { continue }
    & $exe @rest -c "import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))" 2>$null
    if ($LASTEXITCODE -eq 0) { $python = $candidate; break }
}
if ($null -eq $python) {
    Write-Host "secxfer kit: ERROR: no Python 3.11, 3.12 or 3.13 found; install Python from the medium first"
    exit 2
}

# 3. install.py creates the environment and installs with pip --no-index --require-hashes.
$exe = $python[0]; $rest = @($python | Select-Object -Skip 1)
$arguments = @($rest) + @((Join-Path $kit "install.py"))
if ($Venv -ne "") { $arguments += @("--venv", $Venv) }
& $exe @arguments
exit $LASTEXITCODE
