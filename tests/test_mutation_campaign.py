"""The mutation campaign: thousands of structured mutations of real packages, all refused.

A small network seals, relays and splits one month; then every mutant from
``tests/mutation.py`` — of the municipality's package, of central's multi-chunk
package, of the container inside (re-encrypted to the right recipient) — plus
re-encryption to other recipients, replays, outer-signature swaps and a directory
rollback must end in an IntegrityError subclass (exit 3) with nothing written: no
output folder, no change to the receiver's home. Most run through the library; one
of each class runs through the CLI (exit code 3, no output on stdout), and a few
through a real ``secxfer`` process. The counts per class are printed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from mutation import Mutant, file_mutants
from mutation_container import Context, container_mutants, entries_of, pack
from secxfer.age import decrypt_bytes, encrypt_bytes
from secxfer.chain import media
from secxfer.chain.manifest import MANIFEST_KIND
from secxfer.chain.open import open_without_trail as open_package
from secxfer.chain.relay import relay_without_trail as relay
from secxfer.chain.seal import seal_without_trail as seal
from secxfer.chain.trustlink import pack_bundle
from secxfer.cli import run as cli_run
from secxfer.domain.sample import generate_sample
from secxfer.errors import EXIT_INTEGRITY, IntegrityError, ReplayError, SecxferError
from secxfer.testing.network import build_network
from secxfer.trust.signing import SignedDocument, sign_document

REPO = Path(__file__).resolve().parent.parent
CODES = ["131016", "131024", "141003", "011002"]
ME, SIBLING = "mun-131016", "mun-131024"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@dataclass
class Campaign:
    root: Path
    net: object
    target: Path  # fed-13 -> mun-131016
    sibling: Path  # fed-13 -> mun-131024
    central_pkg: Path  # agency -> central (several chunks)
    other_delivery: Path  # a second seal of the month, down to mun-131016
    fed_pkg: Path  # central -> fed-13
    pristine: Path  # every home as build_network left it


def _chain(net, files, homes: Path, media_root: Path):
    k = net.secrets
    sealed = seal(annex_files=files, period="2026-10", key=k["agency"], home=homes / "agency", out=media_root, now=NOW)
    central = relay(sealed.package.path, key=k["central"], home=homes / "central", out=media_root, now=NOW)
    fed_pkg = next(p.path for p in central.outputs if p.recipient == "fed-13")
    fed = relay(fed_pkg, key=k["fed-13"], home=homes / "fed-13", out=media_root, now=NOW)
    mine = {p.recipient: p.path for p in fed.outputs}
    return sealed.package.path, fed_pkg, mine[ME], mine[SIBLING]


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> Campaign:
    root = tmp_path_factory.mktemp("campaign")
    net = build_network(root / "net", insurer_codes=CODES, now=NOW)
    pristine = root / "pristine"
    shutil.copytree(net.workdir / "homes", pristine)
    sample = generate_sample(root / "source", period="2026-10", rows=2400, seed=9, insurers=CODES)
    files = {i + 1: Path(f) for i, f in enumerate(sample.files)}
    central_pkg, fed_pkg, target, sibling = _chain(net, files, net.workdir / "homes", root / "media")
    homes2 = root / "homes2"
    shutil.copytree(pristine, homes2)
    _, _, other, _ = _chain(net, files, homes2, root / "media2")
    return Campaign(root, net, target, sibling, central_pkg, other, fed_pkg, pristine)


def _home(c: Campaign, pid: str, where: Path) -> Path:
    home = where / f"home-{pid}"
    shutil.copytree(c.pristine / pid, home)
    return home


def _fingerprint(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).digest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


class Refusals:
    """Runs mutants, counting refusals per class and collecting anything else."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.failures: list[str] = []

    def expect(self, kind: str, label: str, attempt, out: Path, *, replay_ok: bool = False) -> None:
        try:
            attempt()
        except ReplayError as error:
            if replay_ok:
                self.counts[kind] += 1
                self.errors[type(error).__name__] += 1
            else:  # only a package that verified completely gets this far
                self.failures.append(f"{kind} / {label}: verified completely, refused only as a replay")
        except IntegrityError as error:
            self.counts[kind] += 1
            self.errors[type(error).__name__] += 1
        except SecxferError as error:
            self.failures.append(f"{kind} / {label}: {type(error).__name__} (exit {error.exit_code}): {error}")
        except Exception as error:  # noqa: BLE001 - a crash is what the campaign looks for
            self.failures.append(f"{kind} / {label}: CRASH {type(error).__name__}: {error}")
        else:
            self.failures.append(f"{kind} / {label}: ACCEPTED")
        if out.exists():
            self.failures.append(f"{kind} / {label}: wrote {out}")
            shutil.rmtree(out)

    def report(self, title: str) -> None:
        print(f"\n{title}: {sum(self.counts.values())} mutants refused")
        for kind, count in sorted(self.counts.items()):
            print(f"  {count:6d}  {kind}")
        print("  by error: " + ", ".join(f"{name} {n}" for name, n in self.errors.most_common()))
        assert not self.failures, f"{len(self.failures)} mutant(s) not refused cleanly:\n" + "\n".join(self.failures[:20])


def _context(c: Campaign) -> tuple[Context, bytes]:
    k = c.net.secrets
    me = k[ME].encryption_identity
    plain = decrypt_bytes([me], c.target.read_bytes())
    sibling = decrypt_bytes([k[SIBLING].encryption_identity], c.sibling.read_bytes())
    other = decrypt_bytes([me], c.other_delivery.read_bytes())
    foreign = pack_bundle((REPO / "keys-example" / "trust-bundle.json").read_bytes())
    context = Context(
        entries=entries_of(plain), sibling=entries_of(sibling), other_delivery=entries_of(other),
        forge=lambda payload: sign_document(MANIFEST_KIND, payload, [k[ME]]),
        foreign_bundle=foreign, forked_bundle=_forked_bundle(c),
    )
    return context, plain


def _forked_bundle(c: Campaign) -> bytes:
    """The network's own directory version, its header signed again by another pair of root holders."""
    import msgspec

    from secxfer.trust.store import make_bundle, read_bundle

    bundle = read_bundle(c.net.bundle)
    header = bundle.directory.header
    roots = [c.net.secrets[f"root-{i}"] for i in (2, 3)]
    forked_header = SignedDocument.decode(sign_document(header.kind, header.payload, roots))
    assert forked_header != header
    forked = msgspec.structs.replace(bundle.directory, header=forked_header)
    return pack_bundle(make_bundle(bundle.roots, forked))


def test_every_mutation_is_refused_and_writes_nothing(campaign, tmp_path):
    c, k = campaign, campaign.net.secrets
    refusals = Refusals()
    home = _home(c, ME, tmp_path)
    central_home = _home(c, "central", tmp_path)
    before = (_fingerprint(home), _fingerprint(central_home))
    out, bad = tmp_path / "out", tmp_path / "package.age"

    def open_mutant(kind: str, label: str, data: bytes) -> None:
        bad.write_bytes(data)
        refusals.expect(kind, label, lambda: open_package(bad, key=k[ME], home=home, out=out, now=NOW), out)

    for m in file_mutants(c.target.read_bytes(), c.sibling.read_bytes()):
        open_mutant(m.kind, m.label, m.data)
    central_bytes = c.central_pkg.read_bytes()
    assert len(central_bytes) > 3 * 64 * 1024  # several chunks to swap, duplicate and drop
    for m in file_mutants(central_bytes, c.fed_pkg.read_bytes(), stride=199):
        bad.write_bytes(m.data)
        refusals.expect(f"central: {m.kind}", m.label, lambda: relay(
            bad, key=k["central"], home=central_home, out=out, now=NOW), out)
    context, _ = _context(c)
    recipient = k[ME].encryption_identity.recipient
    for kind, label, plain in container_mutants(context):
        open_mutant(kind, label, encrypt_bytes([recipient], plain))

    refusals.report("mutation campaign")
    assert (_fingerprint(home), _fingerprint(central_home)) == before


def test_reencryption_replay_outer_swaps_and_rollback_are_refused(campaign, tmp_path):
    from secxfer.trust.authoring import next_version, revoke_key, sign_directory
    from secxfer.trust.store import TrustStore

    c, k = campaign, campaign.net.secrets
    refusals = Refusals()
    out = tmp_path / "out"
    plain = decrypt_bytes([k[ME].encryption_identity], c.target.read_bytes())

    # re-encrypted to someone else: the inner manifest still names mun-131016
    for pid in (SIBLING, "central", "fed-13"):
        path = tmp_path / f"to-{pid}.age"
        path.write_bytes(encrypt_bytes([k[pid].encryption_identity.recipient], plain))
        home = _home(c, pid, tmp_path)
        step = open_package if pid.startswith("mun-") else relay
        refusals.expect("re-encrypted to another recipient", pid,
                        lambda: step(path, key=k[pid], home=home, out=out, now=NOW), out)

    # replays: the same package again, under its own name and under another one
    home = _home(c, ME, tmp_path)
    open_package(c.target, key=k[ME], home=home, out=tmp_path / "first", now=NOW)
    copy = tmp_path / "renamed.age"
    shutil.copyfile(c.target, copy)
    for path in (c.target, copy):
        refusals.expect("replay", path.name, lambda: open_package(path, key=k[ME], home=home, out=out, now=NOW), out,
                        replay_ok=True)
    fed_home = c.net.home("fed-13")  # relayed this package when the campaign was built
    before = _fingerprint(c.root / "media")
    refusals.expect("replay", "relay again", lambda: relay(
        c.fed_pkg, key=k["fed-13"], home=fed_home, out=c.root / "media", now=NOW), out, replay_ok=True)
    assert _fingerprint(c.root / "media") == before

    # the outer signature beside the package: renamed, swapped, damaged
    sig = Path(str(c.target) + media.SIDECAR_SUFFIX).read_bytes()
    sibling_sig = Path(str(c.sibling) + media.SIDECAR_SUFFIX).read_bytes()
    for label, name, sidecar in (
        ("package renamed", "2026-10_fed-13_to_mun-131016_00000000.age", sig),
        ("sibling's outer signature", c.target.name, sibling_sig),
        ("outer signature truncated", c.target.name, sig[:-5]),
        ("outer signature byte flipped", c.target.name, sig[:40] + bytes([sig[40] ^ 1]) + sig[41:]),
    ):
        folder = tmp_path / f"outer-{len(refusals.counts) + len(refusals.failures)}-{label.replace(' ', '-')}"
        folder.mkdir()
        shutil.copyfile(c.target, folder / name)
        (folder / (name + media.SIDECAR_SUFFIX)).write_bytes(sidecar)
        fresh = _home(c, ME, folder)
        refusals.expect("outer signature", label,
                        lambda: open_package(folder / name, key=k[ME], home=fresh, out=out, now=NOW), out)

    # not a mutation: another package's valid trust bundle (the sibling's directory excerpt)
    # authenticates itself — root signatures, the store's rules — so carrying it only adds
    # verified entries of the same directory version
    entries = [(n, dict(entries_of(decrypt_bytes([k[SIBLING].encryption_identity], c.sibling.read_bytes())))["trust"]
                if n == "trust" else d) for n, d in entries_of(plain)]
    swapped = tmp_path / "swapped.age"
    swapped.write_bytes(encrypt_bytes([k[ME].encryption_identity.recipient], pack(entries)))
    home = _home(c, ME, tmp_path / "swap")
    version = TrustStore(home).current_directory(NOW).version
    assert open_package(swapped, key=k[ME], home=home, out=tmp_path / "swap-out", now=NOW).rows
    after = TrustStore(home).current_directory(NOW)
    assert after.version == version and after.participant(ME).id == ME

    # rollback: the package carries directory v1; this home already trusts v2, in which
    # the key central signed with is revoked — the older directory cannot bring it back
    home = _home(c, ME, tmp_path / "v2")
    store = TrustStore(home)
    current = TrustStore(c.pristine / "central").current_directory(NOW)  # the full one: homes of municipalities hold excerpts
    v2 = next_version(current, issued=NOW, expires=NOW + dt.timedelta(days=30))
    central_key = current.participant("central").signing_keys[0].key
    v2 = revoke_key(v2, "central", central_key, at=NOW - dt.timedelta(hours=1), reason="key compromise")
    store.import_directory(sign_directory(v2, [k["root-1"], k["root-2"]]), now=NOW)
    refusals.expect("directory rollback", "v1 in the package, v2 at home",
                    lambda: open_package(c.target, key=k[ME], home=home, out=out, now=NOW), out)
    assert store.current_directory(NOW).version == v2.version
    refusals.report("re-encryption, replay, outer signature, rollback")


def _cli_sample(c: Campaign) -> list[Mutant]:
    """The first mutant of every class (file and container), as files to open."""
    context, _ = _context(c)
    recipient = c.net.secrets[ME].encryption_identity.recipient
    seen, sample = set(), []
    for m in file_mutants(c.target.read_bytes(), c.sibling.read_bytes()):
        if m.kind not in seen:
            seen.add(m.kind)
            sample.append(m)
    for kind, label, plain in container_mutants(context):
        if kind not in seen:
            seen.add(kind)
            sample.append(Mutant(kind, label, encrypt_bytes([recipient], plain)))
    return sample


def test_a_sample_through_the_cli_exits_3_with_no_output(campaign, tmp_path, capsys):
    c = campaign
    home = _home(c, ME, tmp_path)
    key = str(c.net.key_path(ME))
    sample = _cli_sample(c)
    assert len(sample) >= 20
    paths = []
    for number, m in enumerate(sample):
        path = tmp_path / f"mutant-{number}.age"
        path.write_bytes(m.data)
        paths.append(path)
        capsys.readouterr()
        code = cli_run(["open", str(path), "--key", key, "--out", str(tmp_path / "out"), "--home", str(home)])
        captured = capsys.readouterr()
        assert code == EXIT_INTEGRITY, f"{m.kind} / {m.label}: exit {code}: {captured.err}"
        assert captured.out == "" and "secxfer: error:" in captured.err, m.label
        assert not (tmp_path / "out").exists()
    # and a few as real processes, side by side
    procs = [
        subprocess.Popen([sys.executable, "-m", "secxfer", "open", str(p), "--key", key,
                          "--out", str(tmp_path / f"out-{i}"), "--home", str(home)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for i, p in enumerate(paths[:: max(1, len(paths) // 3)][:3])
    ]
    for i, proc in enumerate(procs):
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == EXIT_INTEGRITY, stderr.decode()
        assert stdout == b"" and not (tmp_path / f"out-{i}").exists()
    print(f"\nCLI sample: {len(sample)} mutants (one per class) exit 3 in-process, {len(procs)} as processes")
