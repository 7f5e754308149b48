#!/usr/bin/env python3
"""Deterministic inputs for the scale-out test and bench (tests/ops/scale_out.sh,
tests/bench/scale.sh).

  scale_data.py transactions SANCTIONS_DIR ROWS OUT.csv
  scale_data.py leads ROWS OUT.csv

transactions: one row in 50 carries a name from the real lists (OFAC SDN
names and aliases, UK list), some of them with a typo or in another case, so
that rows are flagged and blocked; the rest are synthetic people and firms.
leads: HubSpot-style rows for examples/score-leads/spec.yaml. The same
arguments always give the same bytes.
"""
import csv
import math
import random
import sys


def listed_names(sanctions):
    names = []
    with open(f"{sanctions}/ofac_sdn/sdn.csv", encoding="latin-1", newline="") as f:
        for row in csv.reader(f):
            if len(row) > 2 and row[1].strip() not in ("", "-0-"):
                name = row[1].strip()
                if row[2].strip() == "individual" and ", " in name:
                    last, first = name.split(", ", 1)
                    name = f"{first} {last}"
                names.append(name)
    with open(f"{sanctions}/ofac_sdn/alt.csv", encoding="latin-1", newline="") as f:
        for row in csv.reader(f):
            if len(row) > 3 and row[3].strip() not in ("", "-0-"):
                names.append(row[3].strip())
    with open(f"{sanctions}/uk/UK_Sanctions_List_2025-08-11.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row.get("Name", "").strip():
                names.append(row["Name"].strip())
    return names


FIRST = ("james maria li anna peter fatima john sofia lukas emma noah olivia mateo chloe arjun mei "
         "tomasz ines kwame yuki omar lena diego hana").split()
LAST = ("fernandes kowalski nguyen schmidt okafor tanaka dubois larsen moreau rossi jensen novak "
        "silva haddad kim murphy costa weber ivanova berg santos fischer lindqvist oduya").split()
FIRMS = ("logistics trading bakery consulting software textiles shipping dental farms studio "
         "analytics motors").split()
FORMS = ("GmbH Ltd SARL BV Oy AB LLC SpA").split()
COUNTRIES = "FR DE GB PT NL PL ES IT SE FI US RU IR CN".split()
CURRENCIES = "EUR USD GBP CHF".split()


def typo(rng, name):
    i = rng.randrange(len(name))
    return name[:i] + name[i + 1:] if len(name) > 8 and name[i].isalpha() else name


def transactions(sanctions, rows, out):
    rng = random.Random(20261122)
    listed = listed_names(sanctions)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "date", "amount", "currency", "counterparty", "country"])
        for i in range(rows):
            r = rng.random()
            if r < 0.02:
                name = rng.choice(listed)
                k = rng.random()
                name = typo(rng, name) if k < 0.3 else (name.title() if k < 0.6 else name)
            elif r < 0.75:
                name = f"{rng.choice(FIRST).title()} {rng.choice(LAST).title()}"
                if rng.random() < 0.3:
                    name += f" {rng.choice(LAST).title()}"
            else:
                name = f"{rng.choice(LAST).title()} {rng.choice(FIRMS).title()} {rng.choice(FORMS)}"
            day = 1 + i % 28
            w.writerow([f"tx-{i:07d}", f"2026-10-{day:02d}", f"{rng.randint(100, 9999999) / 100:.2f}",
                        rng.choice(CURRENCIES), name, rng.choice(COUNTRIES)])


SOURCES = ["Organic Search", "Paid Search", "Referrals", "Social Media", "Email Marketing", "Direct Traffic"]
INDUSTRIES = ["Software", "Retail", "Manufacturing", "Healthcare", "Finance", "Education", ""]
LCOUNTRIES = ["Germany", "France", "United Kingdom", "Spain", "Netherlands", "Poland"]
PAGES = ["/pricing", "/blog/how-to", "/demo", "/contact", "/careers", "/docs/start"]
TITLES = ["Head of Sales", "Marketing Manager", "Founder", "Student", "VP Operations", "Analyst", "IT Director", ""]


def leads(rows, out):
    rng = random.Random(20261123)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Record ID", "Create Date", "Original Source", "Industry", "Country/Region", "Number of Employees",
                    "Annual Revenue", "Number of Pageviews", "Number of Sessions", "Number of Form Submissions",
                    "Marketing emails opted out", "Last Page Seen", "Job Title", "Lifecycle Stage"])
        for i in range(rows):
            emp = int(math.exp(rng.uniform(1, 8)))  # as in the example history, so no drift warnings
            views = rng.randint(1, 40)
            w.writerow([f"SC-{i:07d}", f"2026-11-{1 + i % 20:02d}", rng.choice(SOURCES), rng.choice(INDUSTRIES),
                        rng.choice(LCOUNTRIES), emp, "" if rng.random() < 0.2 else emp * rng.randint(40, 200) * 1000,
                        views, max(1, views // rng.randint(1, 5)), rng.choice([0, 0, 0, 1, 1, 2, 3]),
                        rng.choice(["false", "false", "false", "true"]), rng.choice(PAGES), rng.choice(TITLES), "Lead"])


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "transactions":
        transactions(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "leads":
        leads(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(__doc__)
