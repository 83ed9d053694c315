"""The offline install kit (tools/build_offline_kit.py, tools/offline_kit/install.py).

The fast tests build small kits from hand-made wheels (no network). The slow test
builds the real Linux part for the running Python from the package registry (pip's
cache reused), installs it with ``install.sh`` into a fresh environment with pip
``--no-index`` and runs secxfer from there.
"""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


builder = _load("build_offline_kit", TOOLS / "build_offline_kit.py")
installer = _load("offline_kit_install", TOOLS / "offline_kit" / "install.py")


def fake_wheel(folder: Path, name: str, version: str, requires: list[str], tag: str = "py3-none-any") -> Path:
    dist = name.replace("-", "_")
    path = folder / f"{dist}-{version}-{tag}.whl"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{dist}-{version}.dist-info/METADATA", metadata)
    path.write_bytes(buffer.getvalue())
    return path


def typer_like_wheels(folder: Path) -> list:
    folder.mkdir(exist_ok=True)
    paths = [
        fake_wheel(folder, "typer", "0.29.2", ['colorama; platform_system == "Windows"', "rich>=13", "click[extra]>=8; extra == 'all'"]),
        fake_wheel(folder, "rich", "15.0.0", ["pygments>=2.13"]),
        fake_wheel(folder, "pygments", "2.21.0", []),
        fake_wheel(folder, "segno", "1.6.6", ["importlib-metadata>=3.6.0; python_version < '3.10'"]),
        fake_wheel(folder, "uvloop", "0.21.0", []),
    ]
    return [builder.read_wheel(p) for p in paths]


# -- resolving per target --------------------------------------------------------------


def test_windows_closure_gains_colorama_that_pip_download_on_linux_leaves_out(tmp_path):
    wheels = typer_like_wheels(tmp_path)
    roots = ["typer>=0.28", "segno>=1.6", 'uvloop; sys_platform != "win32"']
    needed, missing = builder.closure(roots, wheels, builder.Target("win_amd64", "3.12"))
    assert missing == {"colorama"}  # the builder downloads it in another round
    assert [w.name for w in needed] == ["pygments", "rich", "segno", "typer"]  # no uvloop on Windows


def test_linux_closure_needs_no_colorama_nor_old_python_backports(tmp_path):
    wheels = typer_like_wheels(tmp_path)
    roots = ["typer>=0.28", "segno>=1.6", 'uvloop; sys_platform != "win32"']
    needed, missing = builder.closure(roots, wheels, builder.Target("manylinux_x86_64", "3.11"))
    assert missing == set()
    assert [w.name for w in needed] == ["pygments", "rich", "segno", "typer", "uvloop"]


def test_pip_is_asked_for_each_manylinux_tag_up_to_glibc_2_28_and_the_targets_abi():
    args = builder.Target("manylinux_x86_64", "3.13").pip_platform_args()
    platforms = [args[i + 1] for i, a in enumerate(args) if a == "--platform"]
    assert "manylinux_2_28_x86_64" in platforms and "manylinux2014_x86_64" in platforms
    assert not any(p.startswith("manylinux_2_3") for p in platforms)  # glibc 2.3x wheels would not run on RHEL 8
    assert args[args.index("--python-version") + 1] == "3.13" and "cp313" in args


def test_project_dependencies_come_from_pyproject():
    assert any(d.startswith("cryptography") for d in builder.project_dependencies())
    assert not any(d.startswith("pytest") for d in builder.project_dependencies())  # test extras stay out


# -- checking the kit before installing ------------------------------------------------


def small_kit(tmp_path: Path) -> Path:
    kit = tmp_path / "kit"
    (kit / "wheels").mkdir(parents=True)
    (kit / "requirements").mkdir()
    wheel = builder.read_wheel(fake_wheel(kit / "wheels", "pygments", "2.21.0", []))
    builder.write_requirements(kit, builder.Target("manylinux_x86_64", "3.12"), [wheel])
    for template in (TOOLS / "offline_kit").iterdir():
        builder.write_text(kit / template.name, template.read_text("utf-8"), crlf=template.name in builder.CRLF_FILES)
    (kit / "install.sh").chmod(0o755)
    builder.write_sums(kit)
    return kit


def test_intact_kit_verifies_and_sums_cover_every_file(tmp_path):
    kit = small_kit(tmp_path)
    entries = installer.verify_kit(kit)
    assert set(entries) == {
        "README.txt", "install.cmd", "install.ps1", "install.py", "install.sh",
        "requirements/manylinux_x86_64-cp312.txt", "wheels/pygments-2.21.0-py3-none-any.whl",
    }
    requirements = (kit / "requirements" / "manylinux_x86_64-cp312.txt").read_text()
    assert "pygments==2.21.0 --hash=sha256:" in requirements


def test_tampered_missing_or_unlisted_files_are_named_and_refused(tmp_path):
    kit = small_kit(tmp_path)
    wheel = kit / "wheels" / "pygments-2.21.0-py3-none-any.whl"
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    (kit / "install.ps1").unlink()
    fake_wheel(kit / "wheels", "evil", "1.0", [])
    with pytest.raises(installer.KitError) as caught:
        installer.verify_kit(kit)
    message = str(caught.value)
    assert "SHA-256 differs: wheels/pygments-2.21.0-py3-none-any.whl" in message
    assert "missing: install.ps1" in message
    assert "not listed in SHA256SUMS: wheels/evil-1.0-py3-none-any.whl" in message


def test_sums_saved_by_notepad_with_bom_and_crlf_still_verify(tmp_path):
    kit = small_kit(tmp_path)
    sums = kit / "SHA256SUMS"
    sums.write_bytes(b"\xef\xbb\xbf" + sums.read_bytes().replace(b"\n", b"\r\n"))
    assert len(installer.verify_kit(kit)) == 7


def test_sums_naming_a_path_outside_the_kit_are_refused(tmp_path):
    kit = small_kit(tmp_path)
    (kit / "SHA256SUMS").write_text("0" * 64 + "  ../outside\n")
    with pytest.raises(installer.KitError, match="line 1"):
        installer.verify_kit(kit)


def test_windows_files_get_crlf_and_the_shell_script_lf(tmp_path):
    kit = small_kit(tmp_path)
    for name in ("install.cmd", "install.ps1", "README.txt"):
        data = (kit / name).read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n") > 0, name
    assert b"\r" not in (kit / "install.sh").read_bytes()
    assert os.access(kit / "install.sh", os.X_OK)


def test_install_sh_installs_nothing_from_a_tampered_kit(tmp_path):
    kit = small_kit(tmp_path)
    (kit / "install.py").write_text("raise SystemExit('tampered installer ran')\n")
    venv = tmp_path / "venv"
    result = subprocess.run(["sh", str(kit / "install.sh"), "--venv", str(venv)], capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    assert "differ from SHA256SUMS" in result.stderr and "tampered installer ran" not in result.stderr
    assert not venv.exists()


def test_windows_scripts_check_every_hash_before_running_anything_from_the_kit():
    # No PowerShell here: the order of the steps is what can be checked.
    ps1 = (TOOLS / "offline_kit" / "install.ps1").read_text()
    assert ps1.index("Get-FileHash") < ps1.index('Join-Path $kit "install.py"')
    assert ps1.index("exit 3") < ps1.index('Join-Path $kit "install.py"')
    for version in ("3.13", "3.12", "3.11"):
        assert f'"py", "-{version}"' in ps1
    cmd = (TOOLS / "offline_kit" / "install.cmd").read_text()
    assert 'powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0install.ps1" %*' in cmd
    assert "exit /b %rc%" in cmd


def test_install_py_refuses_a_python_or_machine_the_kit_has_no_wheels_for(tmp_path):
    kit = small_kit(tmp_path)
    assert installer.requirements_for(kit, "manylinux_x86_64", (3, 12)).name == "manylinux_x86_64-cp312.txt"
    with pytest.raises(installer.KitError, match=r"no wheels for Python 3\.10 .*has: manylinux_x86_64-cp312"):
        installer.requirements_for(kit, "manylinux_x86_64", (3, 10))
    assert installer.platform_tag("win32", "AMD64") == "win_amd64"
    assert installer.platform_tag("linux", "x86_64") == "manylinux_x86_64"
    with pytest.raises(installer.KitError, match="x86-64 wheels only"):
        installer.platform_tag("win32", "ARM64")
    with pytest.raises(installer.KitError, match="Windows and Linux"):
        installer.platform_tag("darwin", "x86_64")


def test_pip_runs_offline_and_ignores_the_pcs_pip_configuration(monkeypatch, tmp_path):
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.invalid/simple")
    monkeypatch.setenv("PIP_FIND_LINKS", "/elsewhere")
    env = installer.offline_pip_env()
    assert not any(k.startswith("PIP_") and k != "PIP_CONFIG_FILE" for k in env)
    assert env["PIP_CONFIG_FILE"] == os.devnull
    command = installer.pip_install_command(Path("py"), tmp_path, tmp_path / "r.txt")
    assert {"--isolated", "--no-index", "--require-hashes", "--only-binary=:all:"} <= set(command)


def test_install_py_never_turns_a_non_environment_folder_into_one(tmp_path):
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "report.xlsx").write_bytes(b"data")
    with pytest.raises(installer.KitError, match="not a Python virtual environment"):
        installer.prepare_venv(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["report.xlsx"]


def test_windows_default_environment_and_executables(monkeypatch, tmp_path):
    monkeypatch.setattr(installer.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path))
    assert installer.default_venv() == tmp_path / "Programs" / "secxfer"
    python, secxfer = installer.venv_paths(tmp_path, windows=True)
    assert python == tmp_path / "Scripts" / "python.exe" and secxfer == tmp_path / "Scripts" / "secxfer.exe"


# -- the real thing ----------------------------------------------------------------------


@pytest.mark.slow
def test_linux_kit_installs_without_network_and_runs(tmp_path):
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    target = builder.Target("manylinux_x86_64", here)
    kit = tmp_path / "kit"
    try:
        summary = builder.build_kit(kit, [target])
    except builder.KitBuildError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"the package registry could not be reached to build the kit (CI would fail here): {error}")
    assert summary["targets"] == {target.name: summary["wheels"]}
    requirements = (kit / "requirements" / f"{target.name}.txt").read_text()
    assert "secxfer==0.1.0 --hash=sha256:" in requirements and "cryptography==" in requirements
    assert all(" --hash=sha256:" in line for line in requirements.splitlines()[1:])

    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("SECXFER_HOME", "VIRTUAL_ENV")}
    env["PYTHON"] = sys.executable
    install = subprocess.run(["sh", str(kit / "install.sh"), "--venv", str(venv)], capture_output=True, text=True, env=env)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]

    secxfer = venv / "bin" / "secxfer"
    version = subprocess.run([str(secxfer), "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert version.stdout.strip() == "secxfer 0.1.0"
    env["SECXFER_HOME"] = str(tmp_path / "home")
    calendar = subprocess.run([str(secxfer), "--lang", "en", "calendar", "2026-10"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert calendar.returncode == 0, calendar.stderr
    assert calendar.stdout.splitlines()[0] == "2026-11-27"
    # The installed secxfer is the kit's copy, not this checkout.
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import secxfer; print(secxfer.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert str(venv) in where.stdout and str(REPO / "secxfer") not in where.stdout
