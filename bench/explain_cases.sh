#!/bin/sh
# The slow cases of the stop-19 quiet run at 2 M (bench/results/stop19_lists_2m_quiet.txt), each
# request's queries explained (bench/explain_request.py): what the database does, not wall time.
#   DATABASE_URL=postgres://…/<a copy of pg_base_2m> DJANGO_SECRET_KEY=x sh bench/explain_cases.sh
cd "$(dirname "$0")/.." || exit 1
run() { .venv/bin/python bench/explain_request.py "$1" "$2" "$3" --runs "${RUNS:-5}" 2>&1 | grep -v -i "warn\|mw_instance" | grep -v '^ *[0-9]* *[0-9.]* ms *[0-9]* blocks' | grep -v '^ *[0-9]* *—' | grep -v '^    ×'; }
L=/api/v1/initiatives/?page_size=20
run "corp. council member" api "$L&category=technical"
run "corporation officer" api "$L&submitted_month=2022-03"
run "adviser" api "$L&submitted_month=2022-03"
run "corporation officer" api "$L&due=overdue"
run "adviser" api "$L&due=overdue"
run "sector officer" api "$L&organisation=B-C3&state=corporation_council&category=union"
run "corp. council member" api "$L&organisation=B-C3-U7&state=corporation_council&category=union"
run "author" api "$L&organisation=B-C3&state=corporation_council&category=union"
run "adviser" page "/initiatives/"
run "sector officer" page "/initiatives/"
run "corporation officer" page "/initiatives/?due=overdue"
run "corp. council member" page "/tasks/"
run "unit council member" page "/tasks/"
run "adviser" page "/tasks/"
run "corp. council member" api "/api/v1/initiatives/{first}/"
run "corp. council member" page "/initiatives/{first}/"
run "auditor" page "/initiatives/{first}/"
