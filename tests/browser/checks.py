"""What every page a journey visits must pass: a screenshot, no horizontal scroll at phone width,
touch targets (buttons, fields, the header's links) at least 44 px high there, and no serious or
critical accessibility violation found by axe-core (axe-playwright-python)."""

from tests.browser.conftest import shot

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING = {"serious", "critical"}


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


def look(page, name: str, *, phone: bool = True, phone_shot: bool = False, axe: bool = True) -> None:
    """Screenshot ``page`` as ``name``; at 375 px it must not scroll sideways (photographed there
    too with ``phone_shot``), its buttons, fields and header links at least 44 px high; axe finds
    nothing serious or critical. Leaves the page at desktop width."""
    problems = []
    shot(page, name)
    if phone:
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"] + 1:
            wide = page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                    .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""
            )
            problems.append(f"{name}: {width} px wide at 375 px ({wide})")
        small = page.evaluate(
            """() => [...document.querySelectorAll(
                    'main button, main a.button, main select, main input:not([type=hidden]):not([type=checkbox])'
                    + ':not([type=radio]):not([type=file]), main textarea, header nav a, header button, header select')]
                .filter(e => e.offsetParent !== null)
                .filter(e => e.getBoundingClientRect().height < 43.5)
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || e.name || '').trim().slice(0, 30)
                    + ' ' + Math.round(e.getBoundingClientRect().height) + 'px')"""
        )
        if small:
            problems.append(f"{name}: touch targets under 44 px at 375 px ({small})")
        if phone_shot:
            shot(page, f"{name}-phone")
        page.set_viewport_size(DESKTOP)
    if axe:
        problems += [f"{name}: {v}" for v in axe_violations(page)]
    assert not problems, "\n".join(problems)
