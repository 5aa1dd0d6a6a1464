#!/usr/bin/env python3
"""Helper of scripts/bench (standard library only).

  bench_repo.py ensure SIZE DIR
      Make sure DIR/repo is the synthetic registry of SIZE, generated with the
      current GENERATOR_VERSION; generate it (with `git fast-import`) otherwise.
      SIZE is tiny, small or large (prompts in team sub-directories,
      prompts/teamNN/prompt-NNNN.prompt.yaml), or the same with -flat appended
      (tiny-flat, small-flat, large-flat: the same prompts, history and content,
      with every prompt file directly in prompts/, prompts/prompt-NNNN.prompt.yaml).
      DIR/manifest.json records the stamp and what was generated.
  bench_repo.py run SIZE DIR BIN [--runs N] [--cap SECONDS] [--only W] [--stages BENCH_BIN]
      Time promptreg (BIN) against the git CLI on DIR/repo and print a table.

The generated history: one branch `main`, first-parent only. The first commit
adds promptreg.yaml, the application files and the first prompts; every commit
changes 1-3 prompts (creating one, or bumping its version and adding a first
changelog entry, the content change matching the bump level of the policy)
and 1-2 non-prompt files. Content is deterministic (fixed seed); author dates
increase from 2026-01-01T00:00:00Z.
"""

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

# Bump this whenever the generated content changes: cached repositories with
# another stamp are regenerated.
GENERATOR_VERSION = "3"

SIZES = {
    # name: (prompts, commits)
    "tiny": (20, 100),  # smoke test of the harness itself
    "small": (100, 1_000),
    "large": (1_000, 20_000),
    # Shapes with a source tree beside prompts/ (see SHAPES).
    "teams": (1_000, 20_000),
    "teams-tiny": (20, 200),
    "monorepo": (300, 150_000),
    "monorepo-tiny": (20, 2_000),
}
# Sizes whose non-prompt side is a source tree: SOURCE files in FOLDERS
# folders (src/modNNN/, every fifth one docs/partNNN/), each commit touching
# 1-3 of them with probability SOURCE_SHARE; a commit touches prompts with
# probability PROMPT_SHARE (1-3 of them). Plain sizes keep the 13 fixed
# application files of NON_PROMPT_FILES, 1-2 of them in every commit.
SHAPES = {
    # the team-folder registry: every commit changes prompts, 30 % also source files
    "teams": {"prompt_share": 1.0, "source_share": 0.3, "source": 600, "folders": 30},
    "teams-tiny": {"prompt_share": 1.0, "source_share": 0.3, "source": 60, "folders": 6},
    # an application's monorepo: 3 % of commits touch prompts/, the rest source files
    "monorepo": {"prompt_share": 0.03, "source_share": 1.0, "source": 3_000, "folders": 150,
                 "exclusive": True},
    "monorepo-tiny": {"prompt_share": 0.1, "source_share": 1.0, "source": 200, "folders": 10,
                      "exclusive": True},
}
# Prompt layouts: "nested" (prompts/teamNN/prompt-NNNN.prompt.yaml, the plain
# size names) or "flat" (prompts/prompt-NNNN.prompt.yaml, size names ending in
# FLAT_SUFFIX). Only the paths and names differ: same seed, same content.
FLAT_SUFFIX = "-flat"
SEED = 20260101
START = 1767225600  # 2026-01-01T00:00:00Z
CHANGELOG_KEEP = 15
PROMPTS_PER_TEAM = 20

AUTHORS = [
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.com"),
    ("Katherine Johnson", "katherine@example.com"),
    ("Edsger Dijkstra", "edsger@example.com"),
    ("Barbara Liskov", "barbara@example.com"),
    ("Donald Knuth", "don@example.com"),
    ("Margaret Hamilton", "margaret@example.com"),
    ("Ken Thompson", "ken@example.com"),
    ("Frances Allen", "fran@example.com"),
    ("Dennis Ritchie", "dmr@example.com"),
    ("Radia Perlman", "radia@example.com"),
    ("John Backus", "backus@example.com"),
    ("Hedy Lamarr", "hedy@example.com"),
    ("Leslie Lamport", "leslie@example.com"),
    ("Sophie Wilson", "sophie@example.com"),
]
WORDS = (
    "the a customer ticket account billing invoice refund order shipment "
    "summary answer question context policy escalate priority queue agent "
    "product release feature error timeout login password report draft email "
    "reply tone brief formal friendly concise detailed always never only "
    "include exclude list bullet sentence paragraph language english french "
    "german spanish user request support team review check confirm explain "
    "describe classify extract translate rewrite score rank compare detect "
    "missing invalid urgent legal privacy safety data field record note"
).split()
VAR_WORDS = (
    "ticket product tone language audience region channel customer order "
    "history context question document persona format length style topic "
    "account plan locale deadline severity"
).split()
MODELS = {
    "openai": ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1", "o4-mini"],
    "anthropic": ["claude-3-5-haiku", "claude-3-5-sonnet", "claude-sonnet-4", "claude-opus-4"],
}
REASONS = {
    "new": ["First version.", "First version, replacing a hard-coded prompt.",
            "Initial prompt for the new workflow."],
    "patch": ["Clarify the instructions.", "Fix a typo that confused the model.",
              "Tighten the wording of the output rules.", "Lower the temperature for steadier answers.",
              "Reword the refusal guidance.", "Shorten the instructions; answers were too long."],
    "minor": ["Let callers choose the {v}.", "Add an optional {v} variable.",
              "Switch to a newer model.", "Support the {v} the sales team asked for."],
    "major": ["Require the {v}; answers without it were wrong.",
              "Drop the {v} variable, which nobody set.", "Make the {v} mandatory."],
    "pre": ["Try the new format on staging first.", "Release candidate for the {v} rework."],
    "final": ["Promote the release candidate.", "Release after a week on staging."],
}
NON_PROMPT_FILES = (
    ["src/app.py", "src/worker.py", "src/handlers/tickets.py", "src/handlers/billing.py",
     "src/handlers/search.py", "tests/test_app.py", "README.md"]
    + [f"docs/{d}.md" for d in ("index", "deploy", "prompts", "api", "faq", "runbook")]
)

CONFIG = """\
# Synthetic registry generated by promptreg's scripts/bench.
prompts_dir: prompts
environments:
  production:
    "*": latest
  staging:
    "*": latest-pre
"""


def sentence(r, lo, hi):
    words = [r.choice(WORDS) for _ in range(r.randint(lo, hi))]
    return (" ".join(words)).capitalize() + "."


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_size(size):
    """Returns (base size, layout) of a size name such as "large" or "large-flat"."""
    base, layout = size, "nested"
    if size.endswith(FLAT_SUFFIX):
        base, layout = size[:-len(FLAT_SUFFIX)], "flat"
    if base not in SIZES:
        names = ", ".join(f"{b}, {b}{FLAT_SUFFIX}" for b in SIZES)
        raise SystemExit(f"bench_repo.py: unknown size '{size}' (one of {names})")
    return base, layout


class Prompt:
    def __init__(self, r, index, teams, layout):
        self.index = index
        self.team = f"team{index % teams:02d}"  # also the metadata owner in the flat layout
        if layout == "flat":
            self.name = f"prompt-{index:04d}"
        else:
            self.name = f"{self.team}/prompt-{index:04d}"
        self.path = f"prompts/{self.name}.prompt.yaml"
        self.chat = r.random() < 0.5
        self.provider = "openai" if r.random() < 0.7 else "anthropic"
        self.model = r.choice(MODELS[self.provider])
        self.temperature = r.choice([0, 0.1, 0.2, 0.3, 0.5, 0.7])
        self.max_tokens = r.choice([256, 400, 800, 1200])
        self.description = sentence(r, 8, 20)
        self.version = [0, 1, 0, None]  # major, minor, patch, rc number
        self.changelog = []
        self.var_serial = 0
        self.vars = []  # [name, description, default or None]
        self.system = [sentence(r, 6, 14) for _ in range(r.randint(3, 8))] if self.chat else []
        self.lines_lo = r.randint(18, 28)
        self.lines_hi = self.lines_lo + r.randint(8, 26)
        self.body = [("text", sentence(r, 6, 14)) for _ in range(r.randint(self.lines_lo, self.lines_hi))]
        self.add_var(r, required=True)
        self.add_var(r, required=False)
        self.versions = 0

    # -- content changes, each matching a bump level of the policy -----------
    def new_var_name(self, r):
        self.var_serial += 1
        return f"{r.choice(VAR_WORDS)}_{self.var_serial}"

    def add_var(self, r, required):
        name = self.new_var_name(r)
        default = None if required else r.choice(["neutral", "english", "none", "short", "all"])
        self.vars.append([name, sentence(r, 4, 10), default])
        pos = r.randint(0, len(self.body))
        self.body.insert(pos, ("var", name, f"{sentence(r, 3, 8)[:-1]} {{{{ {name} }}}}."))
        return name

    def remove_var(self, r):
        candidates = [v for v in self.vars[1:]]
        victim = r.choice(candidates)
        self.vars.remove(victim)
        self.body = [line for line in self.body if not (line[0] == "var" and line[1] == victim[0])]
        return victim[0]

    def edit_text(self, r):
        """A patch-level change: template text or model parameters."""
        what = r.random()
        if what < 0.1:
            self.temperature = r.choice([t for t in (0, 0.1, 0.2, 0.3, 0.5, 0.7) if t != self.temperature])
            return
        if self.chat and what < 0.3:
            self.system[r.randrange(len(self.system))] = sentence(r, 6, 14)
            return
        texts = [i for i, line in enumerate(self.body) if line[0] == "text"]
        n = len(self.body)
        if what < 0.45 and n < self.lines_hi:
            self.body.insert(r.randint(0, n), ("text", sentence(r, 6, 14)))
        elif what < 0.55 and n > self.lines_lo and texts:
            del self.body[r.choice(texts)]
        elif texts:
            self.body[r.choice(texts)] = ("text", sentence(r, 6, 14))
        else:
            self.body.append(("text", sentence(r, 6, 14)))

    def change(self, r):
        """Bumps the version with a matching content change; returns (level, reason)."""
        major, minor, patch, rc = self.version
        subject = r.choice(VAR_WORDS)
        if rc is not None:
            self.edit_text(r)
            if r.random() < 0.6:
                self.version = [major, minor, patch, rc + 1]
                return "pre", r.choice(REASONS["pre"]).format(v=subject)
            self.version = [major, minor, patch, None]
            return "final", r.choice(REASONS["final"])
        roll = r.random()
        if roll < 0.62:
            self.edit_text(r)
            self.version = [major, minor, patch + 1, None]
            return "patch", r.choice(REASONS["patch"])
        if roll < 0.91 or roll >= 0.97:
            level = "minor"
            if r.random() < 0.7 and len(self.vars) < 7:
                subject = self.add_var(r, required=False)
            else:
                self.model = r.choice([m for m in MODELS[self.provider] if m != self.model])
                subject = "model"
            if roll < 0.97:
                self.version = [major, minor + 1, 0, None]
            else:  # preminor
                self.version = [major, minor + 1, 0, 1]
                level = "pre"
        else:
            level = "major"
            if len(self.vars) > 2 and (len(self.vars) >= 7 or r.random() < 0.5):
                subject = self.remove_var(r)
            else:
                subject = self.add_var(r, required=True)
            self.version = [major + 1, 0, 0, None]
            if r.random() < 0.25:  # premajor
                self.version[3] = 1
                level = "pre"
        return level, r.choice(REASONS[level if level != "pre" else "pre"]).format(v=subject)

    def version_str(self):
        major, minor, patch, rc = self.version
        return f"{major}.{minor}.{patch}" + (f"-rc.{rc}" if rc is not None else "")

    def release(self, ts, author, reason):
        self.changelog.insert(0, (self.version_str(), iso(ts), f"{author[0]} <{author[1]}>", reason))
        del self.changelog[CHANGELOG_KEEP:]
        self.versions += 1

    def render(self):
        # The schema path is relative to the file: one ../ per directory level of self.path.
        up = "../" * self.path.count("/")
        out = [f"# yaml-language-server: $schema={up}.promptreg/schemas/prompt.schema.json"]
        out.append(f"version: {self.version_str()}")
        out.append(f"description: {self.description}")
        out.append("model:")
        out.append(f"  provider: {self.provider}")
        out.append(f"  name: {self.model}")
        out.append(f"  parameters: {{ temperature: {self.temperature}, max_tokens: {self.max_tokens} }}")
        out.append("variables:")
        for name, desc, default in self.vars:
            out.append(f"  {name}:")
            out.append(f"    description: {desc}")
            if default is not None:
                out.append(f"    default: {default}")
        body = [line[-1] for line in self.body]
        if self.chat:
            out.append("messages:")
            out.append("  - role: system")
            out.append("    content: |")
            out.extend("      " + line for line in self.system)
            out.append("  - role: user")
            out.append("    content: |")
            out.extend("      " + line for line in body)
        else:
            out.append("template: |")
            out.extend("  " + line for line in body)
        out.append("changelog:")
        for version, date, author, reason in self.changelog:
            out.append(f"  - version: {version}")
            out.append(f"    date: {date}")
            out.append(f"    author: {author}")
            out.append(f"    reason: {reason}")
        out.append(f"metadata: {{ owner: {self.team}, ticket: PR-{self.index * 7 + 3} }}")
        return ("\n".join(out) + "\n").encode()


def generate(size, repo):
    base, layout = parse_size(size)
    n_prompts, n_commits = SIZES[base]
    r = random.Random(SEED)
    teams = max(1, n_prompts // PROMPTS_PER_TEAM)
    os.makedirs(repo)
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    for key, value in (("user.name", "Bench"), ("user.email", "bench@example.com"), ("gc.auto", "0")):
        subprocess.run(["git", "-C", repo, "config", key, value], check=True)
    fi = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet", "--date-format=raw"],
                          stdin=subprocess.PIPE)
    sink = fi.stdin

    files = {path: [sentence(r, 5, 12) for _ in range(r.randint(40, 120))] for path in NON_PROMPT_FILES}
    shape = shape_of(size)
    if shape:
        # A source tree instead of the fixed application files: small files
        # (4-12 lines), so that 150,000 commits stay quick to generate.
        files = {}
        for i in range(shape["source"]):
            k = i % shape["folders"]
            folder = f"src/mod{k:03d}" if k % 5 else f"docs/part{k:03d}"
            files[f"{folder}/file{i:05d}.{'md' if k % 5 == 0 else 'py'}"] = \
                [sentence(r, 4, 10) for _ in range(r.randint(4, 12))]
        source_paths = list(files)
    # Popularity: a few prompts change often, most rarely (weight 1/sqrt(rank)).
    order = list(range(n_prompts))
    r.shuffle(order)
    weight = [0.0] * n_prompts
    for rank, index in enumerate(order):
        weight[index] = 1.0 / (rank + 1) ** 0.5
    prompts = []  # created so far, in creation order
    prompt_commits = n_commits * (shape["prompt_share"] if shape else 1.0)
    p_new = min(1.0, n_prompts / (0.3 * max(1.0, prompt_commits) * 2))
    ts = START
    stats = {"versions": 0, "prerelease_versions": 0, "prompt_bytes": 0, "max_file": 0, "min_file": 1 << 30}

    for c in range(n_commits):
        ts += r.randint(60, 2400)
        author = r.choice(AUTHORS)
        changed = {}
        messages = []
        n_changes = 3 if c == 0 else r.choice([1, 1, 1, 2, 2, 3])
        if shape and c > 0 and r.random() >= shape["prompt_share"]:
            n_changes = 0
        for _ in range(n_changes):
            if len(prompts) < n_prompts and (not prompts or r.random() < p_new):
                p = Prompt(r, len(prompts), teams, layout)
                prompts.append(p)
                level, reason = "new", r.choice(REASONS["new"])
            else:
                choices = [p for p in prompts if p.path not in changed]
                if not choices:
                    break
                p = r.choices(choices, weights=[weight[q.index] for q in choices])[0]
                level, reason = p.change(r)
            p.release(ts, author, reason)
            changed[p.path] = p
            messages.append((p, reason))
        # the non-prompt side of the commit
        touched = {}
        if not shape:
            sources = r.sample(NON_PROMPT_FILES, r.choice([1, 1, 2]))
        elif c > 0 and (not messages or not shape.get("exclusive")) and r.random() < shape["source_share"]:
            sources = r.sample(source_paths, r.choice([1, 2, 3]))
        else:
            sources = []
        for path in sources:
            lines = files[path]
            lines[r.randrange(len(lines))] = sentence(r, 5, 12)
            touched[path] = ("\n".join(lines) + "\n").encode()

        if not messages:
            msg = f"Change {len(touched)} source file{'s' if len(touched) > 1 else ''}\n\n" + "".join(
                f"- {path}\n" for path in touched)
        elif len(messages) == 1:
            p, reason = messages[0]
            msg = (f"{p.name} {p.version_str()}: {reason}\n\nPrompt: {p.name}\n"
                   f"Prompt-Version: {p.version_str()}\nChange-Reason: {reason}\n")
        else:
            msg = f"Update {len(messages)} prompts\n\n" + "".join(
                f"- {p.name} {p.version_str()}: {reason}\n" for p, reason in messages)
        if c == 0:
            msg = "Start the prompt registry\n\n" + msg
        msg = msg.encode()
        who = f"{author[0]} <{author[1]}> {ts} +0000".encode()
        chunks = [b"commit refs/heads/main\n", b"author " + who + b"\n", b"committer " + who + b"\n",
                  b"data %d\n" % len(msg), msg, b"\n"]

        def put(path, data):
            chunks.append(b"M 100644 inline " + path.encode() + b"\n")
            chunks.append(b"data %d\n" % len(data))
            chunks.append(data)
            chunks.append(b"\n")

        if c == 0:
            put("promptreg.yaml", CONFIG.encode())
            for path in files:
                if path not in touched:
                    put(path, ("\n".join(files[path]) + "\n").encode())
        for path, data in touched.items():
            put(path, data)
        for path, p in changed.items():
            data = p.render()
            stats["versions"] += 1
            stats["prerelease_versions"] += p.version[3] is not None
            stats["prompt_bytes"] += len(data)
            stats["max_file"] = max(stats["max_file"], len(data))
            stats["min_file"] = min(stats["min_file"], len(data))
            put(path, data)
        chunks.append(b"\n")
        sink.write(b"".join(chunks))
    sink.write(b"done\n")
    sink.close()
    if fi.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", repo, "reset", "-q", "--hard"], check=True)
    # What a repository looks like after `git gc`: fast-import deltifies a blob
    # only against the blob written just before it (a pack ~40 % bigger), so
    # repack with a full delta search, as gc does for loose objects (window 10,
    # depth 50), and write the commit-graph gc writes (it speeds up git log).
    # On the monorepo a full delta search of ~1M objects would take minutes on
    # two cores: there, the deltas fast-import made are kept (`repack -a -d`).
    full_search = ["-f"] if not shape or n_commits <= 50_000 else []
    subprocess.run(["git", "-C", repo, "repack", "-a", "-d", "-q", *full_search], check=True)
    subprocess.run(["git", "-C", repo, "commit-graph", "write", "--reachable"], check=True,
                   stdout=subprocess.DEVNULL)
    hot = max(prompts, key=lambda p: (p.versions, -p.index))
    sizes = sorted(len(p.render()) for p in prompts)
    stats.update({
        "prompts": len(prompts),
        "commits": n_commits,
        "hot_prompt": hot.name,
        "hot_prompt_versions": hot.versions,
        "median_prompt_versions": statistics.median(p.versions for p in prompts),
        "head_file_bytes_median": sizes[len(sizes) // 2],
    })
    return stats


def shape_of(size):
    """The source-tree parameters of a size, or None for the plain sizes."""
    base, _ = parse_size(size)
    return SHAPES.get(base)


def stamp(size):
    base, layout = parse_size(size)
    result = {"generator": GENERATOR_VERSION, "size": size, "prompts": SIZES[base][0],
              "commits": SIZES[base][1], "seed": SEED}
    if shape_of(size):
        result["shape"] = shape_of(size)
    # Only the flat layout is recorded, so the stamps of the nested repositories
    # (and thus their cached copies) are the same as before layouts existed.
    if layout != "nested":
        result["layout"] = layout
    return result


def ensure(size, directory):
    base, layout = parse_size(size)
    manifest_path = os.path.join(directory, "manifest.json")
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
        if manifest.get("stamp") == stamp(size) and os.path.isdir(os.path.join(directory, "repo", ".git")):
            print(f"Reusing {directory}/repo (generated in {manifest['generation_seconds']:.1f} s; "
                  f"generator v{GENERATOR_VERSION})")
            return
        print(f"Cached {size} repository has another generator stamp: regenerating")
    except (OSError, ValueError):
        pass
    tmp = directory + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    n_prompts, n_commits = SIZES[base]
    print(f"Generating the {size} repository ({n_prompts} prompts x {n_commits} commits, {layout} layout) "
          f"with git fast-import ...",
          flush=True)
    t0 = time.perf_counter()
    stats = generate(size, os.path.join(tmp, "repo"))
    elapsed = time.perf_counter() - t0
    with open(os.path.join(tmp, "manifest.json"), "w") as f:
        json.dump({"stamp": stamp(size), "generation_seconds": elapsed, "stats": stats}, f, indent=2)
    shutil.rmtree(directory, ignore_errors=True)
    os.rename(tmp, directory)
    print(f"Generated in {elapsed:.1f} s", flush=True)


# --- timing -----------------------------------------------------------------

class Runner:
    def __init__(self, repo, cap):
        self.repo = repo
        self.cap = cap
        self.problems = []

    def once(self, argv):
        """Runs argv in the repository; returns (ms, maxrss KiB, exit code, stderr, timed_out,
        CPU ms). The CPU time is user + system of the process and of every
        child it waited for (promptreg's blob-reading helper), from wait4()."""
        err_path = os.path.join(self.repo, ".git", "bench-stderr")
        with open(err_path, "wb") as err:
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, cwd=self.repo, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err)
            killed = []

            def kill():
                killed.append(True)
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(self.cap, kill)
            timer.start()
            _, status, usage = os.wait4(proc.pid, 0)
            ms = (time.perf_counter() - t0) * 1000
            timer.cancel()
            proc.returncode = os.waitstatus_to_exitcode(status)
        with open(err_path, "rb") as f:
            stderr = f.read().decode(errors="replace")
        cpu = (usage.ru_utime + usage.ru_stime) * 1000
        return ms, usage.ru_maxrss, proc.returncode, stderr, bool(killed), cpu

    def tree_rss(self, argv, before=None):
        """Runs argv once, untimed, sampling every millisecond the summed RSS
        of its process and every descendant (promptreg's blob-reading helper):
        wait4() reports the largest single process only. Returns KiB."""
        if before:
            before()
        proc = subprocess.Popen(argv, cwd=self.repo, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, sum(rss_kib(pid) for pid in descendants(proc.pid)))
            time.sleep(0.001)
        return peak

    def checked(self, label, argv, ok_codes=(0,)):
        ms, rss, code, stderr, timed_out, cpu = self.once(argv)
        if timed_out:
            self.problems.append(f"{label}: `{' '.join(argv)}` killed after {self.cap:.0f} s (workload capped)")
        elif code not in ok_codes:
            first = "\n      ".join(stderr.strip().splitlines()[:6]) or "(no stderr)"
            self.problems.append(f"{label}: `{' '.join(argv)}` exited {code}:\n      {first}")
        return ms, rss, code, timed_out, cpu


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid):
    """pid and every process below it (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def clear_cache(repo):
    shutil.rmtree(os.path.join(repo, ".git", "promptreg"), ignore_errors=True)


class NoCommitGraph:
    """Hides the repository's commit-graph from promptreg for one run (git
    gets `-c core.commitGraph=false` instead): moved aside, then back."""

    def __init__(self, repo):
        info = os.path.join(repo, ".git", "objects", "info")
        self.paths = [os.path.join(info, "commit-graph"), os.path.join(info, "commit-graphs")]

    def __enter__(self):
        for p in self.paths:
            if os.path.exists(p):
                os.rename(p, p + ".hidden")

    def __exit__(self, *exc):
        for p in self.paths:
            if os.path.exists(p + ".hidden"):
                os.rename(p + ".hidden", p)


def fmt_ms(values, capped):
    if capped:
        return f">{capped:.0f}"
    if not values:
        return "-"
    m = statistics.median(values)
    return f"{m:.0f}" if m >= 100 else f"{m:.1f}"


def timed(argv, stdin_path, cwd):
    """(wall ms, CPU ms) of one run of argv with stdin from a file, output dropped."""
    with open(stdin_path, "rb") as stdin:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=stdin, stdout=subprocess.DEVNULL)
        _, _, usage = os.wait4(proc.pid, 0)
        return (time.perf_counter() - t0) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def floor(repo, runs, stages):
    """The least any exact cold full history costs: it must read every
    distinct prompt-file blob of the mainline (git's `log --name-only` reads
    none) and parse each one; timed with git's own reader and, when the
    stage benchmark is built, per validation stage (benches/validate.rs)."""
    raw = subprocess.run(["git", "-C", repo, "log", "--first-parent", "--format=", "--raw",
                          "--no-abbrev", "--", "prompts/"],
                         check=True, capture_output=True, text=True).stdout
    ids = sorted({f[3] for f in (l.split() for l in raw.splitlines() if l.startswith(":"))
                  if len(f) >= 5 and f[3].strip("0")})
    ids_path = os.path.join(repo, ".git", "bench-blob-ids")
    with open(ids_path, "w") as f:
        f.write("".join(i + "\n" for i in ids))
    cat = [timed(["git", "cat-file", "--batch"], ids_path, repo) for _ in range(runs)]
    print(f"\n   floor: the history needs {len(ids)} distinct prompt-file blobs, which "
          f"git's log never reads;")
    print(f"   `git cat-file --batch` reads them in {statistics.median(w for w, _ in cat):.0f} ms wall, "
          f"{statistics.median(c for _, c in cat):.0f} ms CPU (median of {runs})")
    if stages:
        print(f"   per stage, one thread, the blobs in memory after the first, fastest of {runs} rounds "
              "(benches/validate.rs):")
        out = subprocess.run([stages, os.path.join(repo, ".git"), "--rounds", str(runs)],
                             stdin=open(ids_path, "rb"),
                             capture_output=True, text=True)
        for line in out.stdout.splitlines()[1:]:
            print("   " + line)
        if out.returncode != 0:
            print("   stage benchmark failed: " + out.stderr.strip())
    os.remove(ids_path)


def run(size, directory, binary, runs, cap, only=(), stages=None):
    repo = os.path.join(directory, "repo")
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    stats = manifest["stats"]
    git = lambda *a: subprocess.run(["git", "-C", repo, *a], check=True, capture_output=True, text=True).stdout

    # A clean state: no cache, no lockfile, working tree as committed.
    clear_cache(repo)
    lock_path = os.path.join(repo, "prompts.lock")
    if os.path.exists(lock_path):
        os.remove(lock_path)
    git("reset", "-q", "--hard")

    helps = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout + \
        subprocess.run([binary, "log", "--help"], capture_output=True, text=True).stdout
    has_no_cache = "--no-cache" in helps

    commits = int(git("rev-list", "--first-parent", "--count", "HEAD").strip())
    prompts_head = sum(1 for line in git("ls-files", "--", "prompts/").splitlines()
                       if line.endswith(".prompt.yaml"))
    released = sum(1 for line in git("log", "--first-parent", "--format=", "--name-only", "--", "prompts/")
                   .splitlines() if line.endswith(".prompt.yaml"))
    pack_kib = 0
    for line in git("count-objects", "-v").splitlines():
        key, _, value = line.partition(": ")
        if key in ("size-pack", "size"):
            pack_kib += int(value)
    name = stats["hot_prompt"]
    print()
    print(f"== {size}: {repo}")
    print(f"   commits {commits} (first-parent), prompts {prompts_head}, released versions {released} "
          f"({stats['prerelease_versions']} pre-releases), pack {pack_kib / 1024:.1f} MiB, "
          f"prompt-file versions {stats['prompt_bytes'] / 1e6:.0f} MB "
          f"(files {stats['min_file'] / 1024:.1f}-{stats['max_file'] / 1024:.1f} KiB, "
          f"median at HEAD {stats['head_file_bytes_median'] / 1024:.1f} KiB)")
    print(f"   generated in {manifest['generation_seconds']:.1f} s (generator v{manifest['stamp']['generator']}); "
          f"log NAME uses {name} ({stats['hot_prompt_versions']} versions, the most-changed prompt)")
    print("   repository state: as after `git gc` (git repack -ad, -f but on the monorepo), plus a commit-graph")
    print("   with changed-path Bloom filters (`git commit-graph write --reachable --changed-paths`); git runs")
    print("   with it (\"git+cg\") and without it (\"git, no cg\": `git -c core.commitGraph=false`), alternating;")
    print("   cold workloads also run promptreg without it (the graph files moved aside for the run), and the")
    print("   no-cg ratios compare promptreg without it to git without it (warm ones: promptreg as it is)")
    print("   CPU = user + system time of the process and the children it waited for (wait4)")
    print("   peak RSS: largest process = max over the timed runs from wait4(); all processes = promptreg plus its")
    print("   blob-reading helper, summed, sampled every millisecond in one more untimed run")
    print(f"   cold = {'--no-cache' if has_no_cache else 'rm -rf .git/promptreg/ before each run (no --no-cache yet)'}; "
          f"{runs} runs per workload, promptreg and git alternating; cap {cap:.0f} s per run")

    runner = Runner(repo, cap)
    pr = lambda *a: [binary, *a]
    nocache = ["--no-cache"] if has_no_cache else []
    prompt_path = f"prompts/{name}.prompt.yaml"
    # Git with and without its commit-graph: the repository keeps one with
    # Bloom filters; `core.commitGraph=false` makes git ignore it.
    git("commit-graph", "write", "--reachable", "--changed-paths")
    no_cg = ["-c", "core.commitGraph=false"]
    full_git = ["log", "--first-parent", "--format=%H", "--name-only", "--", "prompts/"]
    one_git = ["log", "--first-parent", "--format=%H", "--", prompt_path]

    # (label, promptreg argv, git argv (without `git`) or None, before-each, warm-up first, ok exit codes)
    workloads = [
        ("log --format json (full history, cold)", pr("log", "--format", "json", *nocache), full_git,
         None if has_no_cache else (lambda: clear_cache(repo)), False, (0, 1)),
        ("log NAME (one prompt, cold)", pr("log", name, *nocache), one_git,
         None if has_no_cache else (lambda: clear_cache(repo)), False, (0, 1)),
        ("log NAME (warm)", pr("log", name), one_git, None, True, (0, 1)),
        ("lock (cold)", pr("lock"), None, lambda: clear_cache(repo), True, (0,)),
        ("lock (warm)", pr("lock"), None, None, True, (0,)),
        ("lock --locked (cold)", pr("lock", "--locked"), None, lambda: clear_cache(repo), True, (0,)),
        ("lock --locked (warm)", pr("lock", "--locked"), None, None, True, (0,)),
        ("check --base HEAD~50 --no-lock (warm)", pr("check", "--base", "HEAD~50", "--no-lock"),
         None, None, True, (0, 1)),
        ("check --base HEAD~50 (warm)", pr("check", "--base", "HEAD~50"), None, None, True, (0, 1)),
    ]
    if only:
        workloads = [w for w in workloads if any(o in w[0] for o in only)]
    med = statistics.median
    rows = []
    for label, pcmd, gcmd, before, warm, ok in workloads:
        print(f"   timing {label} ...", file=sys.stderr, flush=True)
        times = {"p": [], "g": [], "n": [], "q": []}
        cpus = {"p": [], "g": [], "n": [], "q": []}
        # Cold workloads with a git counterpart also run promptreg without
        # the commit-graph ("q"), against git without it.
        without_cg = bool(gcmd) and not warm
        rss, capped, codes = 0, 0, set()
        if warm:
            # Warm = the cache exists: a full-history command writes it (a
            # one-prompt walk does not, docs/DESIGN.md §4), then one run of
            # the workload itself.
            runner.checked(label + " warm-up (cache)", pr("log", "--format", "json"), (0, 1))
            _, _, _, timed_out, _ = runner.checked(label + " warm-up", pcmd, ok)
            if timed_out:
                capped = cap * 1000
        for i in range(runs):
            order = ["p", "g", "q", "n"] if without_cg else ["p", "g", "n"]
            # Alternate who goes first: p g n, g n p, n p g, ...
            order = order[i % len(order):] + order[:i % len(order)]
            for who in order:
                if who in ("p", "q") and not capped:
                    if before:
                        before()
                    if who == "q":
                        with NoCommitGraph(repo):
                            ms, kib, code, timed_out, cpu = runner.checked(label + " (no commit-graph)", pcmd, ok)
                    else:
                        ms, kib, code, timed_out, cpu = runner.checked(label, pcmd, ok)
                    codes.add(code)
                    if timed_out:
                        capped = cap * 1000
                    else:
                        times[who].append(ms)
                        cpus[who].append(cpu)
                        rss = max(rss, kib)
                elif who in ("g", "n") and gcmd:
                    argv = ["git", *(no_cg if who == "n" else []), *gcmd]
                    ms, _, _, _, cpu = runner.checked(label + " (git)", argv)
                    times[who].append(ms)
                    cpus[who].append(cpu)

        def ratio(a, b):
            if not b or not (a or capped):
                return "-"
            if capped:
                return f">{capped / med(b):.0f}"
            return f"{med(a) / med(b):.2f}"

        mem = f"{rss / 1024:.0f}" if rss else "-"
        # Sampling can miss a short run's peak: never below the largest process.
        tree = max(runner.tree_rss(pcmd, before), rss) if not capped else 0
        if without_cg and not capped:
            with NoCommitGraph(repo):
                tree = max(tree, runner.tree_rss(pcmd, before))
        # Without a commit-graph, promptreg's own runs without it when made.
        q = "q" if times["q"] else "p"
        tree_mem = f"{tree / 1024:.0f}" if tree else "-"
        exits = ",".join(str(c) for c in sorted(codes)) if codes else "-"
        rows.append((label, fmt_ms(times["p"], capped), fmt_ms(cpus["p"], capped),
                     fmt_ms(times["g"], 0), fmt_ms(cpus["g"], 0),
                     ratio(times["p"], times["g"]), ratio(cpus["p"], cpus["g"]),
                     fmt_ms(times["q"], capped) if times["q"] else "-",
                     fmt_ms(cpus["q"], capped) if times["q"] else "-",
                     fmt_ms(times["n"], 0), fmt_ms(cpus["n"], 0),
                     ratio(times[q], times["n"]), ratio(cpus[q], cpus["n"]),
                     mem, tree_mem, exits))

    header = ("workload", "promptreg wall (ms)", "promptreg CPU (ms)",
              "git+cg wall", "git+cg CPU", "wall ratio", "CPU ratio",
              "promptreg, no cg wall", "promptreg, no cg CPU",
              "git, no cg wall", "git, no cg CPU", "wall ratio", "CPU ratio",
              "peak RSS, largest (MiB)", "peak RSS, all (MiB)", "exit")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = lambda row: "| " + " | ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                                         for i, (v, w) in enumerate(zip(row, widths))) + " |"
    print()
    print("   medians; ratios are promptreg / git, wall to wall and CPU to CPU")
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))

    # What check found (context for its timing and exit code).
    out = subprocess.run(pr("check", "--base", "HEAD~50", "--format", "json"), cwd=repo,
                         capture_output=True, text=True)
    try:
        report = json.loads(out.stdout)
        counts = {}
        for finding in report.get("findings", []):
            key = f"{finding.get('level')}:{finding.get('rule')}"
            counts[key] = counts.get(key, 0) + 1
        summary = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())) or "no findings"
        print(f"\n   check --base HEAD~50: {report.get('prompts_changed')} prompts changed; {summary}")
    except ValueError:
        print(f"\n   check --base HEAD~50 --format json did not print JSON (exit {out.returncode})")
    floor(repo, runs, stages)
    if runner.problems:
        print("\n   Problems:")
        seen = set()
        for p in runner.problems:
            if p not in seen:
                seen.add(p)
                print("   - " + p)
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "ensure":
        ensure(argv[1], argv[2])
        return 0
    if len(argv) >= 4 and argv[0] == "run":
        size, directory, binary = argv[1:4]
        runs, cap, only, stages = 5, 60.0, [], None
        rest = argv[4:]
        while rest:
            if rest[0] == "--runs":
                runs = int(rest[1])
            elif rest[0] == "--cap":
                cap = float(rest[1])
            elif rest[0] == "--only":
                only.append(rest[1])
            elif rest[0] == "--stages":
                stages = rest[1]
            else:
                raise SystemExit(f"unknown option {rest[0]}")
            rest = rest[2:]
        return run(size, directory, os.path.abspath(binary), runs, cap, only, stages)
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
