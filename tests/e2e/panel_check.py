#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The operator panel in a real browser (tests/e2e/t_serve_panel.sh runs it):

  panel_check.py URL PROFILE_DIR SHOTS_DIR

Headless Chromium (cdp.py) opens the panel of a station serving fixtures a
(board SIM000801) and b (board SIM000802).  The scan field of tile a has
the focus; the test types a serial and Enter as a keyboard-wedge scanner
does, and sees the tile go to RUNNING and then PASS (every state the tile
showed is recorded by a MutationObserver: no timing).  A serial that is
not b's board fails on b: FAIL with the reason.  A mis-scan is refused on
the tile before anything starts.  A unit held in a long step is started by
the MES (the API); the page is reloaded mid-run and shows it still
running, with its serial, step and clock; the Stop button (a real mouse
click) aborts it; Retest runs b's last serial again.  Screenshots of each
state are kept in SHOTS_DIR.
"""
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, CDPError  # noqa: E402

URL, PROFILE, SHOTS = sys.argv[1:4]


def tile(name, sel):
    return "document.querySelector('#tile-%s .%s')" % (name, sel)


def text(b, name, sel):
    return b.eval(tile(name, sel) + ".textContent")


def state(b, name):
    return b.eval("document.getElementById('tile-%s').dataset.state" % name)


def wait_state(b, name, want):
    b.wait("document.getElementById('tile-%s') && "
           "document.getElementById('tile-%s').dataset.state === %s" % (name, name, json.dumps(want)),
           "tile %s %s" % (name, want))


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def observe(b):
    """Record every state each tile shows, in order, from now on."""
    b.eval("""(function () {
      window.seen = {};
      document.querySelectorAll('.tile').forEach(function (t) {
        const n = t.id.slice(5);
        window.seen[n] = [t.dataset.state];
        new MutationObserver(function () {
          const s = window.seen[n];
          if (s[s.length - 1] !== t.dataset.state) s.push(t.dataset.state);
        }).observe(t, { attributes: true, attributeFilter: ['data-state'] });
      });
    })()""")


def scan(b, name, serial):
    b.eval(tile(name, "serial-in") + ".focus()")
    check(b.eval("document.activeElement === " + tile(name, "serial-in")), "focus on %s" % name)
    b.type_text(serial)
    b.key("Enter")


def main():
    os.makedirs(SHOTS, exist_ok=True)
    with Browser(PROFILE) as b:
        b.goto(URL + "/")
        b.wait("document.querySelectorAll('.tile').length === 2", "two tiles")
        b.wait("document.getElementById('link').textContent === 'live'", "the event stream")
        check(b.eval("document.activeElement === " + tile("a", "serial-in")),
              "the first tile's scan field has the focus at load")
        check(state(b, "a") == "idle" and text(b, "a", "state") == "IDLE", "a idle")
        observe(b)

        # a scanned serial and Enter: running, then PASS
        b.type_text("SIM000801")
        b.key("Enter")
        wait_state(b, "a", "pass")
        seen = b.eval("window.seen.a")
        check("running" in seen and seen.index("running") < seen.index("pass"),
              "a showed running before pass: %s" % seen)
        check(text(b, "a", "state") == "PASS", "the word PASS")
        check(text(b, "a", "serial") == "SIM000801", "a's serial")
        b.wait(tile("a", "last") + ".textContent.indexOf('SIM000801  PASS') >= 0", "a's last units")
        check(b.eval(tile("a", "lamp.pass") + ".classList.contains('on')"), "a's pass lamp")
        check(b.eval(tile("a", "serial-in") + ".value") == "", "the scan field cleared")
        b.screenshot(os.path.join(SHOTS, "1-pass.png"))

        # the wrong board on b: FAIL with the reason
        scan(b, "b", "SIM000899")
        wait_state(b, "b", "fail")
        seen = b.eval("window.seen.b")
        check("running" in seen, "b showed running: %s" % seen)
        reason = text(b, "b", "reason")
        check("read and verify SE identity" in reason and "SIM000899" in reason,
              "b's reason: %r" % reason)
        check(b.eval(tile("b", "lamp.fail") + ".classList.contains('on')") is True or
              b.wait(tile("b", "lamp.fail") + ".classList.contains('on')"), "b's fail lamp")
        b.screenshot(os.path.join(SHOTS, "2-fail.png"))

        # a mis-scan: refused on the tile, nothing starts
        scan(b, "a", "SIM12")
        b.wait(tile("a", "msg") + ".textContent.indexOf('does not match') >= 0", "the refusal")
        check(state(b, "a") == "pass", "a still shows its last verdict")
        b.screenshot(os.path.join(SHOTS, "3-misscan.png"))

        # the line's MES refuses a unit: its reason on the tile, as text (it
        # carries markup), nothing starts
        scan(b, "b", "SIM000898")
        b.wait(tile("b", "msg") + ".textContent.indexOf('the MES refuses unit SIM000898') >= 0",
               "the MES's refusal")
        msg = text(b, "b", "msg")
        check("unit on hold: <b>NCR-17</b> open" in msg, "the MES's reason, as text: %r" % msg)
        check(b.eval(tile("b", "msg") + ".querySelector('b')") is None, "no markup obeyed")
        check(state(b, "b") == "fail", "b still shows its last verdict")
        b.screenshot(os.path.join(SHOTS, "3b-mes-refused.png"))

        # the MES starts a unit held in a long step; reload mid-run
        req = urllib.request.Request(URL + "/api/v1/fixtures/a/start", method="POST",
                                     data=json.dumps({"serial": "SIM000801",
                                                      "vars": {"hold": "yes"}}).encode())
        with urllib.request.urlopen(req, timeout=20) as r:
            check(r.status == 201, "the MES's start")
        wait_state(b, "a", "running")
        b.wait(tile("a", "step") + ".textContent.indexOf('held for the test') >= 0", "the step")
        b.reload()
        b.wait("document.querySelectorAll('.tile').length === 2", "two tiles after the reload")
        wait_state(b, "a", "running")
        check(text(b, "a", "state") == "RUNNING", "RUNNING after the reload")
        check(text(b, "a", "serial") == "SIM000801", "the serial after the reload")
        check("held for the test" in text(b, "a", "step"), "the step after the reload")
        b.wait(tile("a", "elapsed") + ".textContent.endsWith(' s')", "the clock after the reload")
        check(text(b, "b", "state") == "FAIL" and "SIM000899" in text(b, "b", "reason"),
              "b's FAIL and reason after the reload")
        b.wait("document.getElementById('link').textContent === 'live'", "the stream again")
        b.screenshot(os.path.join(SHOTS, "4-reloaded-mid-run.png"))

        # Stop, with the mouse: the unit aborted
        b.click("#tile-a .stop")
        wait_state(b, "a", "aborted")
        check(text(b, "a", "state") == "ABORTED", "ABORTED")
        b.screenshot(os.path.join(SHOTS, "5-stopped.png"))

        # Retest on b: its last serial again
        observe(b)
        b.click("#tile-b .retest")
        b.wait(tile("b", "last") + ".children.length === 2", "b's second unit")
        check("running" in b.eval("window.seen.b"), "the retest ran")
        check(state(b, "b") == "fail", "the retest failed again")
        b.screenshot(os.path.join(SHOTS, "6-retest.png"))
    print("ok: the panel in Chromium: scan+Enter -> running -> PASS, FAIL with reason, "
          "mis-scan refused, the MES's refusal shown, reload mid-run keeps the live state, stop, retest")


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, CDPError) as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
