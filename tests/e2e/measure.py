"""Measures what the memory budget of issue 3 is about: Envoy with the
filter, `--concurrency 2`: time to ready, resident memory after start and
after a load of avatars in every script (every embedded font in use on every
worker), and the request rate of that load.

    venv/bin/python tests/e2e/measure.py [REQUESTS]      (make measure)

RSS is VmRSS/VmHWM of the real envoy process (venv/bin/envoy is a Python shim
that execs it, so the PID is the same).
"""
import http.client
import random
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from envoy_harness import Envoy, ROOT  # noqa: E402


def status_kb(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Name"):
            fields[key] = value.strip()
    return fields


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


def load(envoy, paths, threads=8):
    errors = []
    lock = threading.Lock()
    it = iter(paths)

    def worker():
        conn = None
        while True:
            with lock:
                path = next(it, None)
            if path is None:
                break
            # A fresh connection every few requests spreads them over both workers.
            if conn is None or random.random() < 0.2:
                if conn:
                    conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", envoy.port, timeout=30)
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
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


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    t0 = time.monotonic()
    envoy = Envoy()
    ready = time.monotonic() - t0
    try:
        pid = envoy.proc.pid
        time.sleep(0.5)
        after_start = status_kb(pid)
        names = script_names() + random_names(n)
        sizes = [16, 40, 64, 128, 256, 512]
        paths = [f"/avatar/{urllib.parse.quote(name, safe='')}?size={sizes[i % len(sizes)]}"
                 for i, name in enumerate(names)]
        t1 = time.monotonic()
        errors = load(envoy, paths)
        elapsed = time.monotonic() - t1
        under_load = status_kb(pid)
        print(f"process: {after_start.get('Name')} pid {pid}")
        print(f"ready: {ready:.2f} s (Envoy start to /ready 200, --concurrency 2)")
        print(f"after start: VmRSS {after_start['VmRSS']}")
        print(f"after {len(paths)} avatars in every script: VmRSS {under_load['VmRSS']}, "
              f"peak VmHWM {under_load['VmHWM']} ({len(paths) / elapsed:.0f} requests/s, 8 clients)")
        if errors:
            print(f"errors: {errors[:5]} ({len(errors)})")
            sys.exit(1)
    finally:
        envoy.stop()


if __name__ == "__main__":
    main()
