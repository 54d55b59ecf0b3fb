"""Fuzz the whole REST API with Schemathesis and count the 5xx answers.

    .venv/bin/pip install -r requirements-fuzz.txt     # once: Schemathesis is not in requirements.txt
    .venv/bin/python tools/fuzz_api.py                  # ~10 minutes; options: --help

What it does, reproducibly:
1. a throw-away SQLite database (``--db``, default /tmp/fuzz-rules.sqlite3, deleted first): migrate,
   ``seed_demo``, and an API token for each persona of the demo (``drf_create_token``): lan (author),
   hd1 (unit council chair), nganh1 (sector council chair), canbo_spc (officer), kiemtra (auditor);
2. ``runserver`` on 127.0.0.1 (``--port``, default 8765) with DEBUG off, its log kept;
3. ``schemathesis run /api/schema/`` once per persona and once anonymously, every operation, the
   ``not_a_server_error`` check, a fixed ``--seed``, at most ``--max-examples`` cases per operation;
   then a second pass per persona with the path parameters pinned to real objects (a fresh draft of
   lan's, a real certificate serial, this month), so the bodies reach the actions instead of a 404;
4. it reads the server's own log: every request it answered, and every 5xx with the exception
   Django logged for it, then prints requests, 5xx and the distinct failures, and exits 1 if any.

Nothing here is used by the application or its tests; CI runs ``tests/insider/test_hostile_input.py``
(every URL pattern with hostile values) instead, which needs no extra package.
"""

import argparse
import base64
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERSONAS = ["lan", "hd1", "nganh1", "canbo_spc", "kiemtra"]
LOG_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3}) ')


def run(cmd, env, **kw):
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, text=True, capture_output=True, **kw)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--db", default="/tmp/fuzz-rules.sqlite3")
    p.add_argument("--max-examples", type=int, default=30)
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--phases", default="examples,coverage,fuzzing")
    p.add_argument("--personas", default=",".join(PERSONAS + ["anonymous"]))
    p.add_argument(
        "--schema",
        help="an OpenAPI file to generate from instead of the server's own /api/schema/ (e.g. to fuzz an older "
        "version of the code with today's schema)",
    )
    args = p.parse_args()

    python = str(ROOT / ".venv" / "bin" / "python")
    st = shutil.which("schemathesis", path=str(ROOT / ".venv" / "bin")) or shutil.which("schemathesis")
    if st is None:
        print("schemathesis is not installed: .venv/bin/pip install -r requirements-fuzz.txt", file=sys.stderr)
        return 2
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{args.db}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "fuzz-only-not-a-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "SITE_URL": f"http://127.0.0.1:{args.port}",
        # debug is off, so the keys and the checkpoint directory production needs: throw-away ones
        "BALLOT_SEALING_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "AUDIT_CHECKPOINT_DIR": str(Path(args.db).with_suffix(".checkpoints")),
    }
    shutil.rmtree(env["AUDIT_CHECKPOINT_DIR"], ignore_errors=True)
    env.pop("REDIS_URL", None)
    Path(args.db).unlink(missing_ok=True)
    print(f"database {args.db}: migrate, seed_demo, tokens", flush=True)
    run([python, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([python, "manage.py", "seed_demo"], env)
    tokens = {u: run([python, "manage.py", "drf_create_token", u], env).stdout.split()[2] for u in PERSONAS}
    # real objects for the second pass: a draft of lan's (created through the action) and a serial
    found = run(
        [
            python,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from councils.models import User; from initiatives.actions import initiative_create; "
            "from awards.models import Certificate; u = User.objects.get(username='lan'); "
            "i = initiative_create(actor=u, organisation=u.organisation, title='Bản nháp để thử nghiệm API', "
            "category='technical', authors=[{'user': u, 'share_percent': 100}]); "
            "print(i.pk, Certificate.objects.order_by('pk').first().serial)",
        ],
        env,
    ).stdout.split()[-2:]
    pinned = {"path.id": int(found[0]), "path.serial": found[1], "path.month": time.strftime("%Y-%m")}
    config = Path(args.db).with_suffix(".schemathesis.toml")
    config.write_text("[parameters]\n" + "".join(f'"{k}" = {v!r}\n'.replace("'", '"') for k, v in pinned.items()))

    log_path = Path(args.db).with_suffix(".server.log")
    log = log_path.open("w")
    server = subprocess.Popen(
        [python, "manage.py", "runserver", f"127.0.0.1:{args.port}", "--noreload", "--nothreading"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    schema = f"http://127.0.0.1:{args.port}/api/schema/"
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(schema, timeout=5).read()
                break
            except OSError:
                time.sleep(1)
        else:
            print("the server did not start; see", log_path, file=sys.stderr)
            return 2
        print(f"runserver pid {server.pid} on port {args.port}, DEBUG off; log {log_path}", flush=True)
        passes = [(who, False) for who in args.personas.split(",")]
        passes += [(who, True) for who in args.personas.split(",") if who != "anonymous"]
        for who, pin in passes:
            cmd = [
                st,
                *(["--config-file", str(config)] if pin else []),
                "run",
                *([args.schema, "--url", f"http://127.0.0.1:{args.port}/"] if args.schema else [schema]),
                "--checks",
                "not_a_server_error",
                "--phases",
                args.phases,
                "--max-examples",
                str(args.max_examples),
                "--seed",
                str(args.seed),
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--no-color",
                "--generation-database",
                "none",
                "--continue-on-failure",
            ]
            if who != "anonymous":
                cmd += ["--header", f"Authorization: Token {tokens[who]}"]
            started = time.monotonic()
            # in the database's directory: Schemathesis keeps a cache of crashes where it runs
            done = subprocess.run(cmd, cwd=Path(args.db).parent, env=env, text=True, capture_output=True)
            summary = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed|errors?)", line)]
            label = f"{who}, path parameters pinned {pinned}" if pin else who
            print(
                f"  schemathesis as {label}: exit {done.returncode} in {time.monotonic() - started:.0f} s; "
                f"{summary[-1].strip() if summary else '(no summary)'}",
                flush=True,
            )
            (Path(args.db).with_suffix(f".{who}{'.pinned' if pin else ''}.txt")).write_text(done.stdout + done.stderr)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()

    text = log_path.read_text(errors="replace")
    statuses = Counter()
    errors = Counter()
    requests = 0
    for line in text.splitlines():
        m = LOG_LINE.search(line)
        if m:
            requests += 1
            statuses[m.group("status")[0] + "xx"] += 1
    # Django logs each 500 as "Internal Server Error: <path>" followed by its traceback, up to the
    # access-log line of that request (other tracebacks, e.g. of a 400, are not a 500's)
    block = None
    end = "\0end of log"
    for line in [*text.splitlines(), end]:
        if line.startswith("Internal Server Error: "):
            block = [line]
        elif block is not None and (LOG_LINE.search(line) or line == end):
            exc = [b for b in block if re.match(r"^\w+(\.\w+)*(Error|Exception|Exceeded|Sent)\b", b)]
            where = [b.strip() for b in block if b.strip().startswith('File "' + str(ROOT))]
            errors[(exc[-1] if exc else block[0])[:160] + (f"  at {where[-1][:160]}" if where else "")] += 1
            block = None
        elif block is not None:
            block.append(line)
    print(f"\nrequests answered: {requests}  by class: {dict(sorted(statuses.items()))}")
    print(f"5xx: {statuses.get('5xx', 0)}")
    for what, n in errors.most_common():
        print(f"  {n:5d} × {what}")
    return 1 if statuses.get("5xx", 0) else 0


if __name__ == "__main__":
    sys.exit(main())
