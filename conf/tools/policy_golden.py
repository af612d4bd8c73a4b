#!/usr/bin/python3
"""Differential check of cfg_policy_for against ActiveMQ 5.17's PolicyMap.

Generates random queue patterns and names, asks PolicyMapOracle (ActiveMQ's own code) and
a small C driver built against conf/ (argument 1: its path; it takes the same arguments
and prints "q:NAME i"), and reports disagreements.  With --golden it prints a C table of
deterministic cases, as used in test/unit/conf_test.c.

  javac -cp $CP conf/tools/PolicyMapOracle.java -d /tmp/oracle
  python3 conf/tools/policy_golden.py /path/to/c-driver [seed] [trials] [--golden]
CP = /usr/share/java/{activemq-broker,activemq-client,geronimo-jms_1.1_spec,hawtbuf,
     slf4j-api,slf4j-nop}.jar:/tmp/oracle
"""
import random, subprocess, sys

JARS = ["activemq-broker", "activemq-client", "geronimo-jms_1.1_spec", "hawtbuf",
        "slf4j-api", "slf4j-nop"]
CP = ":".join("/usr/share/java/%s.jar" % j for j in JARS) + ":/tmp/oracle"


def main():
    driver = sys.argv[1]
    random.seed(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
    trials = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    golden = "--golden" in sys.argv
    bad = total = nondet = 0
    for _ in range(trials):
        pats = set()
        target = random.randint(2, 6)
        while len(pats) < target:
            alphabet = ["A", "B", "C", "*", "*"] + ([">"] if random.random() < 0.2 else [])
            segs = [random.choice(alphabet) for _ in range(random.randint(1, 3))]
            if random.random() < 0.4:
                segs.append(">")
            pats.add(".".join(segs))
        pats = sorted(pats)
        names = {".".join(random.choice("ABC") for _ in range(random.randint(1, 4)))
                 for _ in range(12)}
        args = ["q:" + p for p in pats] + ["--"] + ["q:" + n for n in sorted(names)]
        java = subprocess.run(["java", "-cp", CP, "PolicyMapOracle"] + args,
                              capture_output=True, text=True).stdout.split("\n")
        mine = subprocess.run([driver] + args, capture_output=True, text=True).stdout.split("\n")
        for a, b in zip(java, mine):
            if not a:
                continue
            a, b = a.split(), b.split()
            total += 1
            answers = set(a[1:])
            if len(answers) > 1:
                nondet += 1
            elif golden:
                print('    { "%s", "%s", %s },' % ("|".join(pats), a[0][2:], a[1]))
            if b[1] not in answers:
                bad += 1
                print("disagree:", pats, a[0], sorted(answers), b[1], file=sys.stderr)
    print("total %d, nondeterministic in ActiveMQ %d, hermod disagrees %d"
          % (total, nondet, bad), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
