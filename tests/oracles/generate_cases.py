"""Writes random consumer-group cases for AssignorOracle.java (see its header for the format).

Each case: 1-7 founding members with varied member ids (the client's
`consumer-<group>-<n>-<uuid>` shape and short ones), some static (`group.instance.id`), 1-3
topics of 1-24 partitions, subscriptions equal or different; then a member leaving or joining
(or both), or a member dropped for a generation that comes back with what it owned before,
and for the cooperative assignor the follow-up rebalance that completes the moves.
Deterministic: the same seed writes the same cases.
"""

import random
import sys
import uuid

ASSIGNORS = ["range", "roundrobin", "sticky", "cooperative-sticky"]


def member_id(rng, n):
    if rng.random() < 0.6:
        return f"consumer-g-{n}-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    return rng.choice(["c", "m", "w", "consumer", "x"]) + str(rng.randrange(100))


def subscription(rng, topics, equal):
    if equal:
        return topics
    chosen = [t for t in topics if rng.random() < 0.6]
    return chosen or [rng.choice(topics)]


def write_case(out, rng, case_id, assignor, large=False):
    if large:
        topics = [f"t{i}" for i in range(rng.randint(3, 6))]
        counts = {t: rng.randint(1, 40) for t in topics}
        equal = False
    else:
        topics = [f"t{i}" for i in range(rng.randint(1, 4))]
        counts = {t: rng.randint(1, 24) for t in topics}
        equal = rng.random() < 0.6
    used = set()
    serial = [0]

    def new_member():
        while True:
            serial[0] += 1
            mid = member_id(rng, serial[0])
            if mid not in used:
                used.add(mid)
                break
        instance = f"instance-{rng.randrange(1000)}" if rng.random() < 0.3 else "-"
        if instance != "-" and instance in used:
            instance = "-"
        used.add(instance)
        return mid, instance, subscription(rng, topics, equal)

    founders = [new_member() for _ in range(rng.randint(5, 9) if large else rng.randint(1, 7))]
    out.append(f"case {case_id} {assignor}")
    out.append("topics " + " ".join(f"{t}:{counts[t]}" for t in topics))
    for mid, instance, subs in founders:
        out.append(f"member {mid} {instance} {','.join(subs)}")
    alive = [m[0] for m in founders]
    events = rng.choice([
        ["leave"], ["join"], ["leave", "join"], ["join", "join"], ["leave", "leave"],
        ["away", "join", "back"], ["away", "back", "leave"], ["join", "away", "leave", "back"],
    ])
    if large:
        events = [rng.choice(["leave", "join", "resubscribe", "resubscribe", "away"]) for _ in range(rng.randint(3, 5))]
        events.append("back")
    gone_away = []
    for event in events:
        if event == "leave" and len(alive) > 1:
            gone = alive.pop(rng.randrange(len(alive)))
            out.append(f"step leave {gone}")
        elif event == "away" and len(alive) > 1:
            gone = alive.pop(rng.randrange(len(alive)))
            gone_away.append(gone)
            out.append(f"step away {gone}")
        elif event == "resubscribe":
            who = rng.choice(alive)
            out.append(f"step resubscribe {who} {','.join(subscription(rng, topics, False))}")
        elif event == "back":
            if not gone_away:
                continue
            back = gone_away.pop()
            alive.append(back)
            out.append(f"step back {back}")
        else:
            mid, instance, subs = new_member()
            alive.append(mid)
            out.append(f"step join {mid} {instance} {','.join(subs)}")
        if assignor == "cooperative-sticky":
            out.append("step rebalance")
    out.append("end")


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 20261204
    per_assignor = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    rng = random.Random(seed)
    out = [f"# generate_cases.py {seed} {per_assignor}"]
    case_id = 0
    for assignor in ASSIGNORS:
        for _ in range(per_assignor):
            case_id += 1
            write_case(out, rng, case_id, assignor)
    # Larger groups with differing, changing subscriptions: the sticky assignors' general
    # algorithm, its moves back and its kept-only-if-better rule.
    for assignor in ["sticky", "cooperative-sticky"]:
        for _ in range(per_assignor // 4):
            case_id += 1
            write_case(out, rng, case_id, assignor, large=True)
    print("\n".join(out))


if __name__ == "__main__":
    main()
