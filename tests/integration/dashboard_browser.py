"""Drives headless Chromium (Debian's chromium + chromium-driver, through python3-selenium) over
watch's dashboard and prints what it saw as one JSON object. Run inside the lab namespace, so
the browser reaches nothing but the watch on that namespace's loopback. Every wait is for a DOM
condition, bounded by --timeout; the whole run by an alarm. Screenshots go to --out."""

import argparse
import json
import signal
import sys
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def rows(d):
    out = []
    for tr in d.find_elements(By.CSS_SELECTOR, "#targets tbody tr"):
        out.append({"name": tr.get_attribute("data-name"), "class": tr.get_attribute("class"),
                    "state": tr.find_element(By.CSS_SELECTOR, "td.state").text,
                    "link": tr.find_element(By.CSS_SELECTOR, "td.name a").get_attribute("href")})
    return out


def attr_at_least(selector, name, n):
    def check(d):
        els = d.find_elements(By.CSS_SELECTOR, selector)
        return bool(els) and all(int(e.get_attribute(name) or 0) >= n for e in els)
    return check


def path_rows(d):
    return [{"ttl": int(tr.get_attribute("data-ttl")), "class": tr.get_attribute("class"),
             "cells": [td.text for td in tr.find_elements(By.TAG_NAME, "td")],
             "background": tr.find_element(By.TAG_NAME, "td").value_of_css_property("background-color")}
            for tr in d.find_elements(By.CSS_SELECTOR, "#hops tbody tr")]


def path_page(d, wait, a):
    """The path section as loaded, then after a click on Trace now (the new trace shown)."""
    d.get(a.url + "/targets/" + urllib.parse.quote(a.path_target, safe=""))
    wait.until(attr_at_least("section#path", "data-ready", 1))
    sec = d.find_element(By.ID, "path")
    out = {"rows": path_rows(d), "info": d.find_element(By.ID, "path-info").text,
           "changed": sec.get_attribute("data-changed")}
    d.find_element(By.ID, "hops").location_once_scrolled_into_view
    safe = "".join(ch if ch.isalnum() else "_" for ch in a.path_target)
    d.save_screenshot(f"{a.out}/path-{safe}.png")
    d.find_element(By.ID, "trace").click()
    # Polled until the new trace is in: at least one more load, nothing tracing, the button back.
    wait.until(lambda d: int(sec.get_attribute("data-ready") or 0) >= 2 and sec.get_attribute("data-tracing") == "false"
               and d.find_element(By.ID, "trace").is_enabled())
    out["after"] = {"rows": path_rows(d), "info": d.find_element(By.ID, "path-info").text}
    d.save_screenshot(f"{a.out}/path-{safe}-traced.png")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--profile", required=True)
    ap.add_argument("--target", action="append", default=[])
    ap.add_argument("--path-target", help="only the path section of this target, and its Trace now button")
    ap.add_argument("--timeout", type=float, default=90)
    a = ap.parse_args()
    signal.alarm(int(a.timeout * 4))  # a hung browser ends this run, and finally quits it

    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-extensions",
                "--disable-component-update", "--window-size=1100,1400", f"--user-data-dir={a.profile}"):
        o.add_argument(arg)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=o)
    result, console = {}, []
    try:
        d.set_page_load_timeout(a.timeout)
        wait = WebDriverWait(d, a.timeout, poll_frequency=0.2)
        if a.path_target:
            result = path_page(d, wait, a)
            result["console"] = [e["message"] for e in d.get_log("browser")]
            return
        d.get(a.url + "/")
        # Two refreshes from /api/v1/overview: the table is live, not just rendered once.
        wait.until(lambda d: int(d.find_element(By.TAG_NAME, "body").get_attribute("data-refreshed") or 0) >= 2)
        result["overview"] = rows(d)
        result["status"] = d.find_element(By.ID, "status").text
        console += d.get_log("browser")
        d.save_screenshot(f"{a.out}/overview.png")
        # Sorting by state (a click on its header) puts down first; the filter hides the rest.
        d.find_element(By.CSS_SELECTOR, "th[data-key=state] a").click()
        result["by_state"] = [r["state"] for r in rows(d)]
        d.find_element(By.ID, "filter").send_keys(a.target[0])
        result["filtered"] = [r["name"] for r in rows(d)]

        result["targets"] = {}
        for name in a.target:
            d.get(a.url + "/targets/" + urllib.parse.quote(name, safe=""))
            wait.until(attr_at_least("section.graph", "data-ready", 1))
            graphs = {}
            for s in d.find_elements(By.CSS_SELECTOR, "section.graph"):
                c = s.find_element(By.TAG_NAME, "canvas")
                graphs[s.get_attribute("data-range")] = {
                    k: int(c.get_attribute("data-" + k) or 0) for k in ("points", "lost", "events")}
                graphs[s.get_attribute("data-range")]["info"] = s.find_element(By.CSS_SELECTOR, ".info").text
            page = {"graphs": graphs, "title": d.title, "h1": d.find_element(By.TAG_NAME, "h1").text,
                    "state": d.find_element(By.CSS_SELECTOR, "p .state").text}
            safe = "".join(ch if ch.isalnum() else "_" for ch in name)
            d.save_screenshot(f"{a.out}/target-{safe}.png")
            # Zoom: a drag to the right edge of the 3-hour graph (past its last point: the graph
            # clamps it to now) asks for the last ~20 minutes alone (offsets from the centre).
            c = d.find_element(By.ID, "g3h")
            w = c.size["width"]
            ActionChains(d).move_to_element_with_offset(c, w // 2 - 120, 0).click_and_hold() \
                .move_by_offset(119, 0).release().perform()
            wait.until(attr_at_least("section.graph[data-range='3h']", "data-ready", 2))
            page["zoomed"] = d.find_element(By.CSS_SELECTOR, "section.graph[data-range='3h'] .info").text
            page["zoomed_points"] = int(c.get_attribute("data-points") or 0)
            d.save_screenshot(f"{a.out}/target-{safe}-zoomed.png")
            console += d.get_log("browser")
            result["targets"][name] = page
        result["console"] = [e["message"] for e in console]
    finally:
        d.quit()
        json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
