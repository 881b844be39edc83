"""`make measure`: what Envoy with the filter costs in memory, per worker.

For each `--concurrency` in WORKERS (1, 2, 4, 8), one Envoy from the
repository's envoy.yaml (default configuration):
- after start: time to ready, then RSS once it has settled;
- after a fixed load: PER_WORKER distinct avatars per worker, names in every
  script at sizes 16 to 512, from 8 clients on short connections (so the
  kernel spreads them over every worker); then RSS again.
The per-worker increment is the least-squares slope of RSS over the worker
count. Beside RSS, where it is: the wasm linear memories (each VM's, from
/proc/PID/smaps: a read-write mapping followed by V8's guard reservation),
the host's heap (tcmalloc, from Envoy's admin /memory) and the rest.

    venv/bin/python tests/e2e/measure.py [--per-worker N] [--workers 1,2,4,8]
                                         [--write bench/results.md]

RSS is VmRSS of the real envoy process (venv/bin/envoy is a Python shim that
execs it, so the PID is the same). `--write` replaces the memory section of
bench/results.md (between its markers) and leaves the rest as it is.
"""
import argparse
import http.client
import json
import random
import re
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from envoy_harness import Envoy, ROOT  # noqa: E402

SIZES = [16, 40, 64, 128, 256, 512]
# Seconds between ready and the "after start" reading, and between the end
# of the load and the "after the load" reading: envoy.yaml has Envoy hand
# freed heap pages back every second.
SETTLE_S = 2.5
BEGIN = "<!-- make measure: begin -->"
END = "<!-- make measure: end -->"


def status_kb(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Name"):
            fields[key] = value.strip()
    return fields


def rss_kb(pid):
    return int(status_kb(pid)["VmRSS"].split()[0])


def linear_memories(pid):
    """(size kB, resident kB) of each wasm linear memory: V8 maps a memory
    read-write up to its current size and reserves the rest of its 8 GiB
    (and a guard) right after it, inaccessible."""
    maps = []
    current = None
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+(?:\s+(.*))?$", line)
        if m:
            current = {"start": int(m.group(1), 16), "end": int(m.group(2), 16),
                       "perm": m.group(3), "name": m.group(4) or "", "rss": 0}
            maps.append(current)
        elif line.startswith("Rss:") and current is not None:
            current["rss"] = int(line.split()[1])
    out = []
    for a, b in zip(maps, maps[1:]):
        if (a["perm"] == "rw-p" and not a["name"] and b["perm"] == "---p" and not b["name"]
                and b["start"] == a["end"] and b["end"] - b["start"] >= 1 << 32):
            out.append(((a["end"] - a["start"]) // 1024, a["rss"]))
    return out


def heap(envoy):
    """Envoy's allocator: bytes in use and bytes free but still mapped, in kB."""
    m = json.loads(envoy.admin("/memory"))
    return int(m["allocated"]) // 1024, (int(m["pageheap_free"]) + int(m["total_thread_cache"])) // 1024


def snapshot(envoy):
    pid = envoy.proc.pid
    mems = linear_memories(pid)
    allocated, free = heap(envoy)
    return {"rss": rss_kb(pid), "vms": len(mems), "linear": sum(r for _, r in mems),
            "linear_each": sorted((r for _, r in mems), reverse=True),
            "linear_size": sum(s for s, _ in mems), "allocated": allocated, "free": free}


def script_names():
    names = []
    for line in (ROOT / "tests/scripts.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            names.append(line.split("\t")[1])
    return names


def random_names(n, seed=3):
    """Distinct names over every script, so many distinct glyphs are drawn."""
    rng = random.Random(seed)
    han = "".join((ROOT / "fonts" / f).read_text(encoding="utf-8").strip()
                  for f in ["han-gb2312.txt", "han-jisx0208.txt", "han-big5.txt"])
    extb = "".join((ROOT / "fonts" / f).read_text(encoding="utf-8").strip()
                   for f in ["han-jisx0213-extb.txt", "han-hkscs-extb.txt", "han-adobe-japan1-extb.txt"])
    pools = [
        lambda: rng.choice(han) + rng.choice(han),
        lambda: chr(rng.randint(0xAC00, 0xD7A3)) + chr(rng.randint(0xAC00, 0xD7A3)),
        lambda: chr(rng.randint(0x3041, 0x3096)) + "子",
        lambda: rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "x " + rng.choice("ÉÑĐÅÆŒŁ") + "y",
        lambda: rng.choice("αβγδεζηθικλμνξοπρστυφχψω") + " " + rng.choice("абвгдежзиклмнопрстуфхцчшщэюя"),
        lambda: rng.choice("աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆ") + " " + rng.choice("აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ"),
        lambda: rng.choice("אבגדהוזחטיכלמנסעפצקרשת") + " " + rng.choice("ابتثجحخدذرزسشصضطظعغفقكلمنهوي"),
        lambda: rng.choice("कखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह") + " " + rng.choice("কখগঘচছজঝটঠডঢণতথদধনপফবভমযরলশষসহ"),
        lambda: rng.choice("கஙசஞடணதநபமயரலவழளறன") + " " + rng.choice("กขคฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ"),
        # The scripts added later, two a name; the Extension B ideographs.
        lambda: rng.choice("કખગચજટડતદનપબમયરલવસહ") + " " + rng.choice("ਕਖਗਚਜਟਡਤਦਨਪਬਮਯਰਲਵਸਹ"),
        lambda: rng.choice("କଖଗଚଜଟଡତଦନପବମଯରଲସହ") + " " + rng.choice("కఖగచజటడతదనపబమయరలవసహ"),
        lambda: rng.choice("ಕಖಗಚಜಟಡತದನಪಬಮಯರಲವಸಹ") + " " + rng.choice("കഖഗചജടഡതദനപബമയരലവസഹ"),
        lambda: rng.choice("කඛගචජටඩතදනපබමයරලවසහ") + " " + rng.choice("ကခဂငစဆဇညတထဒနပဖဗဘမယရလဝသဟအ"),
        lambda: rng.choice("កខគឃងចឆជញដតថទធនបផពភមយរលវសហឡអ") + " " + rng.choice("ກຂຄງຈຊຍດຕຖທນບປຜຝພຟມຢຣລວສຫອຮ"),
        lambda: rng.choice("ཀཁགངཅཆཇཉཏཐདནཔཕབམཙཚཛཝཞཟའཡརལཤསཧཨ") + "་" + rng.choice("ཀཁགངཅཆཇཉཏཐདནཔཕབམ") + "་"
        + rng.choice("ཀཁགངཅཆཇཉཏཐདནཔཕབམཙཚཛཝཞཟའཡརལཤསཧཨ") + "་" + rng.choice("ཀཁགངཅཆཇཉཏཐདནཔཕབམ"),
        lambda: rng.choice("ሀለሐመሠረሰሸቀበተቸኀነኘአከኸወዐዘዠየደጀገጠጨጰጸፀፈፐ") + rng.choice("ሁሉሙሩሱቡቱኑኩዉዙዱጉ") + " "
        + rng.choice("ᎠᎡᎢᎣᎤᎥᎦᎧᎨᎩᎪᎫᎬᎭᎮᎯᎰᎱᎲᎳᎴᎵᎶᎷᎸᎹᎺᎻᎼᎽᎾᎿᏀᏁᏂᏃᏄᏅᏆᏇᏈᏉᏊᏋᏌᏍᏎᏏ"),
        lambda: rng.choice("ܐܒܓܕܗܘܙܚܛܝܟܠܡܢܣܥܦܨܩܪܫܬ") + " " + rng.choice("ހށނރބޅކއވމފދތލގޏސޑޒޓޔޕޖޗ"),
        lambda: rng.choice("ߊߋߌߍߎߏߐߒߓߔߕߖߗߘߙߚߛߜߝߞߟߠߡߢߣߤߥߦߧ") + " " + chr(rng.randint(0x1E900, 0x1E943)),
        lambda: rng.choice("ⴰⴱⴳⴷⴹⴻⴼⴽⵀⵃⵄⵅⵇⵉⵊⵍⵎⵏⵓⵔⵕⵖⵙⵚⵛⵜⵟⵡⵢⵣⵥ") + " " + chr(rng.randint(0x1401, 0x166C)),
        lambda: chr(rng.randint(0x1C5A, 0x1C77)) + " " + chr(rng.randint(0x1820, 0x1877)),
        lambda: rng.choice(extb) + rng.choice(han),
    ]
    return [pools[i % len(pools)]() for i in range(n)]


def distinct_paths(n):
    """`n` distinct avatar paths, the same for the same `n`: every script's
    sample name, then random names in every script, sizes cycling through
    SIZES (a path that came up before is drawn again)."""
    names = script_names() + random_names(4 * n)
    seen, out = set(), []
    for i, name in enumerate(names):
        path = f"/avatar/{urllib.parse.quote(name, safe='')}?size={SIZES[i % len(SIZES)]}"
        if path not in seen:
            seen.add(path)
            out.append(path)
            if len(out) == n:
                break
    return out


# Tries per path while the render budget refuses it.
RETRIES_503 = 200


def load(envoy, paths, threads=8, refused=None):
    """GETs every path from `threads` clients; the (path, status) of every
    answer that is not 200. `refused`, a one-element list, counts the
    render budget's 503s that were asked again."""
    refused = refused if refused is not None else [0]
    errors = []
    lock = threading.Lock()
    it = iter(paths)
    rng = random.Random(7)

    def worker():
        conn = None
        while True:
            with lock:
                path = next(it, None)
                fresh = rng.random() < 0.2
            if path is None:
                break
            # A fresh connection every few requests spreads them over every worker.
            if conn is None or fresh:
                if conn:
                    conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", envoy.port, timeout=30)
            # The render budget (on by default) answers 503 when a worker has
            # rendered its share of the last second: ask again a little later,
            # so that every avatar of the load is drawn.
            for _ in range(RETRIES_503):
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                if r.status != 503:
                    break
                with lock:
                    refused[0] += 1
                time.sleep(0.05)
            if r.status != 200:
                errors.append((path, r.status))
        if conn:
            conn.close()

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return errors


def slope(xs, ys):
    """Least-squares slope of ys over xs."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def measure(workers, per_worker):
    t0 = time.monotonic()
    envoy = Envoy(concurrency=workers)
    ready = time.monotonic() - t0
    try:
        time.sleep(SETTLE_S)
        start = snapshot(envoy)
        paths = distinct_paths(per_worker * workers)
        t1 = time.monotonic()
        refused = [0]
        errors = load(envoy, paths, refused=refused)
        rate = len(paths) / (time.monotonic() - t1)
        time.sleep(SETTLE_S)
        loaded = snapshot(envoy)
        stats = envoy.stats("wasm")
        failures = {k: v for k, v in stats.items() if "fail" in k and v != "0"}
    finally:
        envoy.stop()
    return {"workers": workers, "ready": ready, "start": start, "loaded": loaded,
            "requests": len(paths), "rate": rate, "errors": errors, "failures": failures,
            "refused": refused[0]}


def mb(kb):
    return f"{kb / 1024:.1f}"


def report(rows, per_worker):
    module = (ROOT / "target/wasm32-wasip1/release/monogram.wasm")
    import os
    module = Path(os.environ.get("MONOGRAM_WASM", module))
    xs = [r["workers"] for r in rows]
    lines = [BEGIN, "## Memory per worker (`make measure`)", ""]
    lines.append(
        f"Envoy with `envoy.yaml` (default configuration), one start per row; RSS "
        f"{SETTLE_S} s after ready, and {SETTLE_S} s after a load of {per_worker:,} distinct "
        f"avatars per worker (names in every script, sizes {SIZES[0]}-{SIZES[-1]}, 8 clients; a 503 "
        f"from the render budget is asked again until drawn). "
        f"Module: {module.stat().st_size:,} bytes. MB = MiB. Command: "
        f"`venv/bin/python tests/e2e/measure.py --per-worker {per_worker} --write bench/results.md` "
        f"(`make measure`).")
    lines.append("")
    lines.append("| workers | ready s | RSS after start | RSS after the load | wasm VMs | linear memory, all VMs, start / load | host heap in use, start / load | host heap free, start / load | requests/s |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s, l = r["start"], r["loaded"]
        lines.append(f"| {r['workers']} | {r['ready']:.2f} | {mb(s['rss'])} | {mb(l['rss'])} | {l['vms']} | "
                     f"{mb(s['linear'])} / {mb(l['linear'])} | {mb(s['allocated'])} / {mb(l['allocated'])} | "
                     f"{mb(s['free'])} / {mb(l['free'])} | {r['rate']:,.0f} |")
    lines.append("")
    inc = lambda key, part: slope(xs, [r[key][part] for r in rows]) / 1024  # noqa: E731
    lines.append("Each additional worker (least-squares slope over the rows), MB:")
    lines.append("")
    lines.append("| | RSS | of which linear memory | host heap in use | host heap free | target |")
    lines.append("|---|---|---|---|---|---|")
    lines.append(f"| after start | {inc('start', 'rss'):.1f} | {inc('start', 'linear'):.1f} | "
                 f"{inc('start', 'allocated'):.1f} | {inc('start', 'free'):.1f} | ≤ 4 |")
    lines.append(f"| after the load | {inc('loaded', 'rss'):.1f} | {inc('loaded', 'linear'):.1f} | "
                 f"{inc('loaded', 'allocated'):.1f} | {inc('loaded', 'free'):.1f} | ≤ 10 |")
    lines.append("")
    each = "; ".join(f"{r['workers']}: " + ", ".join(mb(x) for x in r["loaded"]["linear_each"]) for r in rows)
    lines.append(f"Resident linear memory of each VM after the load, MB (one per worker; the two that take "
                 f"no requests are the main thread's and the one Envoy built while loading the configuration, "
                 f"which it keeps): {each}.")
    two = [r for r in rows if r["workers"] == 2]
    if two:
        lines.append("")
        lines.append(f"At 2 workers: {mb(two[0]['start']['rss'])} MB after start (target ≤ 150), "
                     f"{mb(two[0]['loaded']['rss'])} MB after the load.")
    lines.append(END)
    return "\n".join(lines)


def write_section(path, section):
    text = path.read_text() if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-worker", type=int, default=3000)
    ap.add_argument("--workers", default="1,2,4,8")
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    rows = []
    for n in (int(x) for x in args.workers.split(",")):
        r = measure(n, args.per_worker)
        s, l = r["start"], r["loaded"]
        print(f"{n} workers: ready {r['ready']:.2f} s; RSS {mb(s['rss'])} MB after start, "
              f"{mb(l['rss'])} MB after {r['requests']} avatars ({r['rate']:,.0f}/s); "
              f"linear memory {mb(s['linear'])} / {mb(l['linear'])} MB in {l['vms']} VMs; "
              f"host heap {mb(s['allocated'])} / {mb(l['allocated'])} MB, free {mb(s['free'])} / {mb(l['free'])} MB; "
              f"{r['refused']} budget 503s asked again",
              flush=True)
        if r["errors"] or r["failures"]:
            print(f"errors: {r['errors'][:5]} ({len(r['errors'])}), VM failures: {r['failures']}")
            sys.exit(1)
        rows.append(r)
    section = report(rows, args.per_worker)
    print(section)
    if args.write:
        write_section(args.write, section)


if __name__ == "__main__":
    main()
