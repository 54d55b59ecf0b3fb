#!/usr/bin/env bash
# A full journey by hand with curl against `make run` (http://127.0.0.1:8000).
# Run from the project root while `make run` serves; it prints each step.
set -u
B=http://127.0.0.1:8000/api/v1
declare -A T
for u in lan tuvan1 hd1 hd2 hd3 tct1 tct2 tct3 nganh1 nganh2 nganh3 tld1 tld2 tld3 kiemtra canbo_spc canbo_pcbth; do
  T[$u]=$(.venv/bin/python manage.py drf_create_token $u 2>/dev/null | grep -oE '[0-9a-f]{40}')
done
c() { local u=$1 m=$2 p=$3 b=${4:-}; if [ -n "$b" ]; then curl -s -X $m -H "Authorization: Token ${T[$u]}" -H 'Content-Type: application/json' -d "$b" "$B$p"; else curl -s -X $m -H "Authorization: Token ${T[$u]}" "$B$p"; fi; }
j() { .venv/bin/python -c "import sys,json; d=json.load(sys.stdin); print($1)"; }
echo "# lan creates a draft"
ID=$(c lan POST /initiatives/ '{"title":"Thiết bị báo sự cố lưới điện qua SMS","summary":"Báo sự cố tự động.","problem":"Phát hiện sự cố chậm.","solution":"Cảm biến gửi SMS.","category":"technical","organisation":"PCBD","authors":[{"username":"lan","share_percent":100}],"benefit_value_vnd":160000000,"applied_since":"2022-04-01"}' | j 'd["id"]')
c lan GET /initiatives/$ID/ | j 'd["reference"], d["state"], d["available_actions"]'
echo "# a bad draft: 400 naming the fields"
c lan POST /initiatives/ '{"title":"Ngắn","category":"x","organisation":"PCBD","authors":[{"username":"lan","share_percent":60}]}'; echo
echo "# submit, forward"
c lan POST /initiatives/$ID/actions/submit/ '{}' | j 'd["state"], d["dossier_version"]'
c tuvan1 POST /initiatives/$ID/actions/forward/ '{}' | j 'd["state"], d["council"], d["due_at"]'
echo "# hd1's inbox"; c hd1 GET /tasks/ | j '[(r["reference"], r["waiting_for"]) for r in d["results"]]'
echo "# close before quorum → 409"; c hd1 POST /initiatives/$ID/actions/close/ '{}'; echo
for u in hd1 hd2 hd3; do c $u POST /initiatives/$ID/votes/ '{"decision":"approve","score":88}' | j 'd["voter"], d["decision"]'; done
echo "# a second vote → 409"; c hd2 POST /initiatives/$ID/votes/ '{"decision":"approve"}'; echo
c hd1 POST /initiatives/$ID/actions/close/ '{}' | j 'd["state"], d["council"]'
for u in tct1 tct2 tct3; do c $u POST /initiatives/$ID/votes/ '{"decision":"approve","score":90}' >/dev/null; done
c tct1 POST /initiatives/$ID/actions/close/ '{}' | j 'd["state"], d["council"]'
for u in nganh1 nganh2 nganh3; do c $u POST /initiatives/$ID/votes/ '{"decision":"nominate","score":92}' >/dev/null; done
c nganh1 POST /initiatives/$ID/actions/close/ '{}' | j 'd["state"], d["council"]'
echo "# a sector member tries to vote at the federation → 403"; c nganh2 POST /initiatives/$ID/votes/ '{"decision":"certify"}'; echo
for u in tld1 tld2 tld3; do c $u POST /initiatives/$ID/votes/ '{"decision":"certify","score":95}' >/dev/null; done
c tld1 POST /initiatives/$ID/actions/close/ '{}' | j 'd["state"], d["awards"]'
echo "# the auditor reads the history"
c kiemtra GET "/initiatives/$ID/history/?page_size=100" | j '[(e["action"], e["from_state"], e["to_state"], e["actor"], e["hash"][:10]) for e in d["results"]]'
echo "# quotas"; c kiemtra GET /quotas/ | j '[(q["award"], q["period"], q["cap"], q["used"], q["remaining"]) for q in d["results"]]'
echo "# the library, without accents; PC Bình Thuận applies it; its own unit may not"
c lan GET "/library/?q=bao+su+co" | j '[(r["title"], r["awards"], r["adoptions_count"]) for r in d["results"]]'
c canbo_pcbth POST /library/$ID/adoptions/ '{"organisation":"PCBTH","note":"Áp dụng tại đội vận hành"}' | j 'd["organisation"], d["recorded_by"]'
c canbo_spc POST /library/$ID/adoptions/ '{"organisation":"PCBD"}'; echo
echo "# a campaign to EVNSPC's members without an initiative"
CID=$(c canbo_spc POST /campaigns/ '{"organisation":"EVNSPC","subject":"Mời tham gia viết sáng kiến","message":"Hãy gửi ý tưởng của bạn.","audience":"without_initiative"}' | j 'd["id"]')
c canbo_spc GET /campaigns/$CID/ | j 'd["recipients"], d["sent"], d["failed"], d["state"]'
echo "# audit verify"; c kiemtra GET /audit/verify/; echo
.venv/bin/python manage.py verify_audit
