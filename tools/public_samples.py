#!/usr/bin/env python3
"""Writes small files in the public formats `din4j prepare` reads, for the real-data protocol (docs/models.md).

The public Amazon and Taobao files are not reachable here, so this makes samples with their exact layout:
  amazon/reviews_Sample_5.json.gz  JSON lines: reviewerID, asin, overall, unixReviewTime (every user >= 5 reviews)
  amazon/meta_Sample.json.gz       Python-literal lines: {'asin': ..., 'categories': [['Sample', '<category>']]}
  taobao/UserBehavior.csv          user_id,item_id,category_id,behavior_type,timestamp (no header)
Users hold 2-3 interest categories (Dirichlet weights); 85% of their behaviours come from those, the rest from a
random category; items within a category and categories overall have Zipf popularity, as in the real logs.
Usage: tools/public_samples.py OUT_DIR [users] [seed]
"""
import gzip
import json
import os
import random
import sys


def zipf_weights(n, s):
    return [1.0 / (r + 1) ** s for r in range(n)]


def world(rng, items, cats):
    item_cat = [rng.randrange(cats) for _ in range(items)]
    by_cat = [[] for _ in range(cats)]
    for i, c in enumerate(item_cat):
        by_cat[c].append(i)
    by_cat = [b if b else [rng.randrange(items)] for b in by_cat]
    return item_cat, by_cat


def stream(rng, by_cat, cat_w, n):
    k = rng.choice([2, 3])
    interests = rng.choices(range(len(by_cat)), weights=cat_w, k=k)
    w = [rng.gammavariate(1, 1) for _ in interests]
    out = []
    for _ in range(n):
        c = rng.choices(interests, weights=w)[0] if rng.random() < 0.85 else rng.randrange(len(by_cat))
        items = by_cat[c]
        out.append(rng.choices(items, weights=zipf_weights(len(items), 1.1))[0])
    return out


def main():
    out = sys.argv[1]
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    items, cats = 4000, 80
    item_cat, by_cat = world(rng, items, cats)
    cat_w = zipf_weights(cats, 0.7)
    os.makedirs(os.path.join(out, "amazon"), exist_ok=True)
    os.makedirs(os.path.join(out, "taobao"), exist_ok=True)
    with gzip.open(os.path.join(out, "amazon", "reviews_Sample_5.json.gz"), "wt") as f:
        for u in range(users):
            t = 1_300_000_000 + rng.randrange(10_000_000)
            seen = set()
            for i in stream(rng, by_cat, cat_w, rng.randint(5, 15)):
                if i in seen:
                    continue
                seen.add(i)
                t += rng.randrange(3600, 30 * 86400)
                f.write(json.dumps({"reviewerID": "A%07d" % u, "asin": "B%08d" % i, "overall": float(rng.randint(1, 5)),
                                    "unixReviewTime": t}) + "\n")
    with gzip.open(os.path.join(out, "amazon", "meta_Sample.json.gz"), "wt") as f:
        for i in range(items):
            f.write(repr({"asin": "B%08d" % i, "categories": [["Sample", "Cat%02d" % item_cat[i]]]}) + "\n")
    with open(os.path.join(out, "taobao", "UserBehavior.csv"), "w") as f:
        for u in range(users):
            t = 1_511_500_000 + rng.randrange(86400)
            for i in stream(rng, by_cat, cat_w, rng.randint(10, 40)):
                t += rng.randrange(30, 7200)
                kind = rng.choices(["pv", "cart", "fav", "buy"], weights=[89, 5, 3, 3])[0]
                f.write("%d,%d,%d,%s,%d\n" % (u + 1, i + 1, item_cat[i] + 1, kind, t))


if __name__ == "__main__":
    main()
