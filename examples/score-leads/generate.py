#!/usr/bin/env python3
"""Writes the example's made-up HubSpot-style leads and orders (deterministic).

Nothing here comes from a real company: the conversion odds are a formula.
Run: python3 generate.py   (rewrites history.csv, new_leads.csv, orders.csv)
"""
import csv, math, random

rng = random.Random(20261122)
SOURCES = ["Organic Search", "Paid Search", "Referrals", "Social Media", "Email Marketing", "Direct Traffic"]
INDUSTRIES = ["Software", "Retail", "Manufacturing", "Healthcare", "Finance", "Education"]
COUNTRIES = ["Germany", "France", "United Kingdom", "Spain", "Netherlands", "Poland"]
PAGES = ["/pricing", "/blog/how-to", "/demo", "/contact", "/careers", "/docs/start"]
TITLES = ["Head of Sales", "Marketing Manager", "Founder", "Student", "VP Operations", "Analyst", "IT Director", ""]
COLS = ["Record ID", "Create Date", "Original Source", "Industry", "Country/Region", "Number of Employees",
        "Annual Revenue", "Number of Pageviews", "Number of Sessions", "Number of Form Submissions",
        "Marketing emails opted out", "Last Page Seen", "Job Title", "Lifecycle Stage"]


def lead(i, day):
    src = rng.choice(SOURCES)
    ind = rng.choice(INDUSTRIES)
    emp = int(math.exp(rng.uniform(1, 8)))
    views = rng.randint(1, 40)
    sessions = max(1, views // rng.randint(1, 5))
    forms = rng.choice([0, 0, 0, 1, 1, 2, 3])
    page = rng.choice(PAGES)
    title = rng.choice(TITLES)
    z = -3.6 + 0.05 * views + 0.6 * forms + (0.9 if page in ("/pricing", "/demo") else 0)
    z += 0.7 if src == "Referrals" else (-0.5 if src == "Social Media" else 0)
    z += 0.6 if any(w in title for w in ("Head", "VP", "Director", "Founder")) else 0
    z += 0.3 * math.log10(emp)
    won = rng.random() < 1 / (1 + math.exp(-z))
    revenue = "" if rng.random() < 0.2 else str(emp * rng.randint(40, 200) * 1000)
    return {"Record ID": f"HS-{100000 + i}", "Create Date": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}",
            "Original Source": src, "Industry": ind if rng.random() > 0.1 else "", "Country/Region": rng.choice(COUNTRIES),
            "Number of Employees": emp, "Annual Revenue": revenue, "Number of Pageviews": views,
            "Number of Sessions": sessions, "Number of Form Submissions": forms,
            "Marketing emails opted out": rng.choice(["false", "false", "false", "true"]), "Last Page Seen": page,
            "Job Title": title, "Lifecycle Stage": "Customer" if won else "Lead"}


def write(path, rows, cols):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


history = [lead(i, i * 280 // 1200) for i in range(1200)]
write("history.csv", history, COLS)
fresh = [lead(5000 + i, 290 + i // 10) for i in range(40)]
for r in fresh:
    r["Lifecycle Stage"] = ""  # new leads: no outcome yet, so never training data
write("new_leads.csv", fresh, COLS)
orders = []
for c in range(120):
    n = rng.choice([1, 1, 1, 2, 3, 5, 8, 13])
    last = rng.randint(0, 330)
    for k in range(n):
        day = max(0, last - k * rng.randint(5, 40))
        orders.append({"customer_id": f"C-{1000 + c}", "order_date": f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}",
                       "amount": f"{rng.uniform(20, 400) * (1 + c % 3):.2f}"})
write("orders.csv", orders, ["customer_id", "order_date", "amount"])
