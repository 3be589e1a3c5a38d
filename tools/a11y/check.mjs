// Accessibility check of the main pages: each page is opened in a headless Chromium at a
// desktop width (1280 px) and a phone width (360 px) and checked with axe-core (WCAG 2.1 A and
// AA rules plus axe's best practices). Prints every violation and exits 1 when there is one.
//
//   node check.mjs [--base-url http://127.0.0.1:8000] [--screenshots DIR]
//
// The site must be running with the demo data (make run): the holder's pages are read after
// logging in as the demo holder, the provider's after logging in as the demo training
// organisation's member, the back-office's after logging in as a demo agent with the code of
// its second factor (README, "Demo logins"). Environment: CHROMIUM (the browser's path,
// /usr/bin/chromium by default), A11Y_NIR and A11Y_PASSWORD (the demo holder's login),
// A11Y_PROVIDER_EMAIL (the demo provider member's login, same password), A11Y_AGENT (the demo
// agent's username, same password).
import { createHash, createHmac } from "node:crypto";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const args = process.argv.slice(2);
function option(name, fallback) {
  const index = args.indexOf(name);
  return index >= 0 && args[index + 1] ? args[index + 1] : fallback;
}
const BASE_URL = option("--base-url", process.env.BASE_URL || "http://127.0.0.1:8000").replace(/\/$/, "");
const SCREENSHOTS = option("--screenshots", "");
// --only accueil,recherche: those pages alone (names as below).
const ONLY = option("--only", "").split(",").filter(Boolean);
const wanted = ([name]) => !ONLY.length || ONLY.includes(name);
const NIR = process.env.A11Y_NIR || "1 77 03 92 050 013 85";
const PASSWORD = process.env.A11Y_PASSWORD || "DemoFormation2026";
const PROVIDER_EMAIL = process.env.A11Y_PROVIDER_EMAIL || "organisme@demo.example";
// The administrator reads every page of the back-office listed below (each role only its own).
const AGENT = process.env.A11Y_AGENT || "agent.administrator";
const WIDTHS = [
  { name: "1280", width: 1280, height: 900, isMobile: false },
  { name: "360", width: 360, height: 780, isMobile: true },
];

// name, path (or a function of the browser page finding it), whether a screenshot is kept,
// and what to do on the page before checking it.
const PUBLIC_PAGES = [
  ["accueil", "/", true],
  ["recherche", "/recherche?q=d%C3%A9veloppeur&place=Lyon+(69001)", true],
  // The themes understood from the words ("Nous avons compris que vous cherchez…").
  ["recherche-permis", "/recherche?q=permis+B", true],
  ["recherche-anglais", "/recherche?q=anglais&place=Lyon+(69001)", false],
  ["formation", findTraining, true],
  // A driving licence offer: the facts of its kind (category, hours of driving…).
  ["formation-permis", findDrivingLicence, true],
  ["organisme-inscription", "/organisme/inscription/", false],
  ["connexion", "/compte/connexion/", true],
  ["inscription", "/compte/inscription/", false],
  ["mot-de-passe-oublie", "/compte/mot-de-passe/oublie/", false],
  ["mentions-legales", "/mentions-legales", false],
  ["accessibilite", "/accessibilite", true],
  ["contact", "/contact", false],
  ["aide", "/aide", false],
  ["api-docs", "/api/v1/docs", false],
  ["api-docs-operation", "/api/v1/docs", false, openFirstOperation],
];
const HOLDER_PAGES = [
  ["compte", "/compte/", false],
  ["droits", "/compte/droits/", true],
  ["dossiers", "/compte/dossiers/", false],
];
// Paths under the demo provider's own pages (/organisme/<id>/...), read as its member.
const PROVIDER_PAGES = [
  ["organisme-offres", "offres/", true],
  ["organisme-dossiers", "dossiers/", false],
  // The statement: owed, invoiced, paid and advance of each file (a table stacked on a phone).
  ["organisme-releve", "releve/", false],
  ["organisme-virements", "virements/", false],
  ["organisme-documents", "documents/", false],
  // The renewal of the Qualiopi certificate: the one in force, those sent, the form.
  ["organisme-qualiopi", "documents/renouveler/qualiopi/", false],
  ["organisme-coordonnees-bancaires", "coordonnees-bancaires/", false],
  ["organisme-webhook", "webhook/", false],
];
// Back-office pages of the project's own (Django's admin pages are Django's), read as AGENT.
const AGENT_PAGES = [
  // What is due, overdue and paid to providers, and the latest payment runs.
  ["backoffice-paiements", "/admin/payouts/payoutrun/tableau-de-bord/", false],
  // The renewed Qualiopi certificates and Kbis to check.
  ["backoffice-documents-a-verifier", "/admin/providers/documentrenewal/?status__exact=submitted", false],
];

// The API's documentation with its first operation opened (parameters, responses, examples).
async function openFirstOperation(page) {
  await page.click(".opblock-summary-control");
  await page.waitForSelector(".opblock-body", { timeout: 5000 });
}

async function findTraining(page) {
  await page.goto(`${BASE_URL}/recherche?q=boulanger`, { waitUntil: "networkidle0" });
  const href = await page.$eval('a[href^="/formations/"]', (a) => a.getAttribute("href"));
  return href;
}

// The first of the first results for "permis B" that shows the facts of its kind.
async function findDrivingLicence(page) {
  await page.goto(`${BASE_URL}/recherche?q=permis+B`, { waitUntil: "networkidle0" });
  const hrefs = await page.$$eval('#search-results a[href^="/formations/"]', (links) => [
    ...new Set(links.map((a) => a.getAttribute("href"))),
  ]);
  for (const href of hrefs.slice(0, 8)) {
    await page.goto(`${BASE_URL}${href}`, { waitUntil: "networkidle0" });
    if (await page.$(".cf-kind-facts")) {
      // Leave the page: opening the same address again would only follow its #anchor.
      await page.goto("about:blank");
      return href;
    }
  }
  throw new Error('no training found for "permis B" showing the facts of its kind: is the demo data loaded?');
}

// Layout faults axe does not see, found on earlier walk-throughs: run in the page, each
// returns what is wrong.
function LAYOUT_CHECKS() {
  const problems = [];
  const box = (element) => element.getBoundingClientRect();
  // A field wider than its column (the search's date filters once were).
  for (const field of document.querySelectorAll("main input, main select, main textarea")) {
    const column = field.closest("[class*='fr-col']");
    if (!column || field.type === "hidden" || !field.checkVisibility()) continue;
    const [f, c] = [box(field), box(column)];
    if (f.left < c.left - 1 || f.right > c.right + 1) {
      problems.push(`#${field.id || field.name} overflows its column by ${Math.round(Math.max(c.left - f.left, f.right - c.right))} px`);
    }
  }
  // Content over the footer (the training page's side cards once covered it).
  const footer = document.querySelector("footer");
  if (footer) {
    const top = box(footer).top;
    for (const element of document.querySelectorAll("main .fr-card, main aside, main section")) {
      if (element.checkVisibility() && box(element).bottom > top + 1) {
        problems.push(`${element.tagName.toLowerCase()}.${element.className.split(" ").join(".")} goes over the footer`);
      }
    }
  }
  // A card taller than the screen is three times: a card stretched to its column's height.
  for (const card of document.querySelectorAll("aside .fr-card")) {
    if (box(card).height > 3 * window.innerHeight) problems.push(`a side card is ${Math.round(box(card).height)} px tall`);
  }
  return problems;
}

async function logIn(page) {
  await page.goto(`${BASE_URL}/compte/connexion/`, { waitUntil: "networkidle0" });
  await page.type("#id_nir", NIR);
  await page.type("#id_password", PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click('form [type="submit"]')]);
  if (new URL(page.url()).pathname.startsWith("/compte/connexion")) {
    throw new Error(`could not log in as the demo holder ${NIR}: is the demo data loaded (make demo-logins)?`);
  }
}

// Logs in as the demo provider's member and returns the address of the provider's pages.
async function logInProvider(page) {
  await page.goto(`${BASE_URL}/espace-pro/connexion/`, { waitUntil: "networkidle0" });
  await page.type("#id_email", PROVIDER_EMAIL);
  await page.type("#id_password", PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click('form [type="submit"]')]);
  await page.goto(`${BASE_URL}/organisme/`, { waitUntil: "networkidle0" });
  const match = new URL(page.url()).pathname.match(/^\/organisme\/\d+\//);
  if (!match) {
    throw new Error(`could not log in as the demo provider member ${PROVIDER_EMAIL}: is the demo data loaded (make demo-logins)?`);
  }
  return match[0];
}

// The code a demo agent's authenticator shows now (RFC 6238: HMAC-SHA1, 30 s, 6 digits), from
// the demo agent's fixed key (cpf/accounts/demo.py, totp_key: public, demo data only).
function demoTotp(username, at = Date.now()) {
  const key = Buffer.from(createHash("sha1").update(`compte-formation-demo:${username}`).digest("hex"), "hex");
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const digest = createHmac("sha1", key).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

// Logs in to the back-office as the demo agent: the password, then the second factor's code. A
// code serves once: the agent logs in once for both widths.
async function logInAgent(page) {
  await page.goto(`${BASE_URL}/admin/login/`, { waitUntil: "networkidle0" });
  await page.type("#id_username", AGENT);
  await page.type("#id_password", PASSWORD);
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click('form [type="submit"]')]);
  if (new URL(page.url()).pathname !== "/admin/login/code/") {
    throw new Error(`could not log in as the demo agent ${AGENT}: is the demo data loaded (make demo-logins)?`);
  }
  await page.type("#id_code", demoTotp(AGENT));
  await Promise.all([page.waitForNavigation({ waitUntil: "networkidle0" }), page.click('form [type="submit"]')]);
  if (new URL(page.url()).pathname.startsWith("/admin/login/")) {
    throw new Error(`the second factor of ${AGENT} was refused: is this machine's clock right?`);
  }
}

async function check(page, name, target, viewport, screenshot, prepare) {
  const url = typeof target === "function" ? await target(page) : target;
  const response = await page.goto(`${BASE_URL}${url}`, { waitUntil: "networkidle0" });
  if (prepare) await prepare(page);
  const problems = [];
  if (!response || response.status() >= 400) {
    problems.push(`HTTP ${response ? response.status() : "no response"}`);
  }
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
      resultTypes: ["violations"],
    }),
  );
  for (const violation of results.violations) {
    const targets = violation.nodes.slice(0, 5).map((node) => node.target.join(" "));
    problems.push(`${violation.id} (${violation.impact}): ${violation.help} — ${targets.join(" | ")}`);
  }
  const overflow = (await page.evaluate(() => document.documentElement.scrollWidth)) - viewport.width;
  if (overflow > 0) problems.push(`the page scrolls sideways by ${overflow} px`);
  problems.push(...(await page.evaluate(LAYOUT_CHECKS)));
  if (screenshot && SCREENSHOTS) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // The whole page, up to 3,000 px tall: enough to see the footer of most pages, small files.
    const height = Math.min(3000, await page.evaluate(() => document.documentElement.scrollHeight));
    await page.screenshot({
      path: path.join(SCREENSHOTS, `${name}-${viewport.name}.png`),
      clip: { x: 0, y: 0, width: viewport.width, height },
      captureBeyondViewport: true,
    });
  }
  console.log(`${problems.length ? "FAIL" : "ok  "} ${viewport.name} px ${name} (${url})`);
  for (const problem of problems) console.log(`       ${problem}`);
  return problems.length;
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--lang=fr-FR", "--accept-lang=fr-FR,fr"],
  // A French browser, as the site's readers: dates in the fields read jj/mm/aaaa.
  env: { ...process.env, LANG: "fr_FR.UTF-8", LANGUAGE: "fr" },
});
let failures = 0;
let agentContext = null;
let agentPage = null;
try {
  for (const viewport of WIDTHS) {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: viewport.width, height: viewport.height, isMobile: viewport.isMobile, hasTouch: viewport.isMobile });
    for (const [name, target, screenshot, prepare] of PUBLIC_PAGES.filter(wanted)) {
      failures += await check(page, name, target, viewport, screenshot, prepare);
    }
    if (HOLDER_PAGES.some(wanted)) {
      await logIn(page);
      for (const [name, target, screenshot] of HOLDER_PAGES.filter(wanted)) {
        failures += await check(page, name, target, viewport, screenshot);
      }
    }
    await context.close();
    if (PROVIDER_PAGES.some(wanted)) {
      const providerContext = await browser.createBrowserContext();
      const providerPage = await providerContext.newPage();
      await providerPage.setViewport({ width: viewport.width, height: viewport.height, isMobile: viewport.isMobile, hasTouch: viewport.isMobile });
      const root = await logInProvider(providerPage);
      for (const [name, target, screenshot] of PROVIDER_PAGES.filter(wanted)) {
        failures += await check(providerPage, name, `${root}${target}`, viewport, screenshot);
      }
      await providerContext.close();
    }
    if (AGENT_PAGES.some(wanted)) {
      if (!agentPage) {
        agentContext = await browser.createBrowserContext();
        agentPage = await agentContext.newPage();
        await logInAgent(agentPage);
      }
      await agentPage.setViewport({ width: viewport.width, height: viewport.height, isMobile: viewport.isMobile, hasTouch: viewport.isMobile });
      for (const [name, target, screenshot] of AGENT_PAGES.filter(wanted)) {
        failures += await check(agentPage, name, target, viewport, screenshot);
      }
    }
  }
} finally {
  if (agentContext) await agentContext.close();
  await browser.close();
}
console.log(failures ? `${failures} page(s) with problems` : "0 violations");
process.exit(failures ? 1 : 0);
