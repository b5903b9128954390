// Maillage's browser journeys: what a visitor and a member really do, in headless Chromium, on the
// three instances of `maillage demo` (started by run.sh, which sets the environment read below).
//
// Every page is watched throughout: a console error (a CSP violation is one), an uncaught script
// error, a 5xx answer, a page without its Content-Security-Policy or a sub-resource that fails makes
// the step that caused it fail. One line per step, then a summary line `journeys: N passed, N failed,
// N skipped`; the exit code is non-zero when a step failed. The journey stops at its first failure
// (the steps after it depend on it): they are counted as skipped.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const basePort = Number(process.env.MAILLAGE_BROWSER_BASE_PORT ?? 18081);
const executablePath = process.env.MAILLAGE_CHROMIUM ?? '/usr/bin/chromium';
const shotsDir = process.env.MAILLAGE_BROWSER_SCREENSHOTS ?? new URL('./screenshots', import.meta.url).pathname;
const headless = process.env.MAILLAGE_BROWSER_HEADED !== '1';

// The demo's instances and accounts (src/demo.rs, server/src/sample/).
const lending = `http://localhost:${basePort}`; // La Coop du Prêt — Lille, administrator camille
const bikesDomain = `localhost:${basePort + 1}`; // Atelier Vélo Solidaire de Roubaix, yasmine
const groceryDomain = `localhost:${basePort + 2}`; // the solidarity grocery, nadia
const bikes = `http://${bikesDomain}`;
const grocery = `http://${groceryDomain}`;
const PASSWORD = 'demo-maillage-2026';
const FEDERATION_DEADLINE_MS = 30_000;
// A photo to upload: one of the demo's own (drawn for the project, CC0).
const samplePhoto = new URL('../../server/data/sample-photos/escabeau.jpg', import.meta.url).pathname;

// A word that no sample listing has, so that the new listing is the only answer to a search for it.
const stamp = Date.now().toString(36);
const newTitle = `Scie sauteuse à prêter ${stamp}`;
const newDescription = `Scie sauteuse Bosch avec trois lames, à prêter pour un week-end (essai navigateur ${stamp}).`;
const emptyTitleDescription = `Annonce sans titre brouillon${stamp}`;

rmSync(shotsDir, { recursive: true, force: true });
mkdirSync(shotsDir, { recursive: true });

// --- What every page is watched for -------------------------------------------------------------

/** Problems seen on any watched page since the last step ended. */
let problems = [];
/** Pages answered with a 4xx on purpose (a wrong password, a form with errors): `status url`. */
const clientErrorPages = new Set();

function watch(page, label) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location()?.url ?? '';
    // Chromium logs a page answered 4xx as a console error: that answer is checked by the step.
    const status = /^Failed to load resource: the server responded with a status of (4\d\d)\b/.exec(message.text());
    problems.push(() =>
      status && clientErrorPages.has(`${status[1]} ${where}`)
        ? null
        : `${label}: console error on ${page.url()}: ${message.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (error) => problems.push(`${label}: script error on ${page.url()}: ${error.message}`));
  page.on('requestfailed', (request) => {
    // ERR_ABORTED is the browser cancelling a request itself, when the page navigates on before
    // it ended (the favicon of a page the journey leaves at once). What the server fails to send
    // is caught apart: statuses above, pictures that do not load by imagesLoaded.
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`${label}: request failed: ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  });
  page.on('response', (response) => {
    const request = response.request();
    const status = response.status();
    const what = `${request.method()} ${response.url()}`;
    if (status >= 500) {
      problems.push(`${label}: ${what} answered ${status}`);
    }
    if (request.resourceType() === 'document') {
      if (status >= 400 && status < 500) clientErrorPages.add(`${status} ${response.url()}`);
      if (status < 300 || status >= 400) {
        const csp = response.headers()['content-security-policy'];
        if (!csp || !csp.includes("default-src 'none'")) {
          problems.push(`${label}: ${what} (${status}) has no Content-Security-Policy (got ${JSON.stringify(csp)})`);
        }
      }
    } else if (status >= 400) {
      problems.push(`${label}: sub-resource ${what} answered ${status}`);
    }
  });
  return page;
}

// --- Steps --------------------------------------------------------------------------------------

const results = { passed: 0, failed: 0, skipped: 0 };
const steps = [];
function step(name, run) {
  steps.push({ name, run });
}

async function shot(page, name) {
  await imagesLoaded(page);
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
}

/**
 * Waits for every image of the page, lazy ones included, to load or fail, and fails when one did not
 * load: a screenshot then shows them, and the next navigation does not cancel a picture still on
 * its way.
 */
async function imagesLoaded(page) {
  await page.evaluate(async () => {
    const pending = [...document.images].map((image) => {
      image.loading = 'eager';
      if (image.complete) return null;
      return new Promise((done) => {
        image.addEventListener('load', done, { once: true });
        image.addEventListener('error', done, { once: true });
      });
    });
    await Promise.all(pending);
  });
  const broken = await page.evaluate(() =>
    [...document.images].filter((image) => image.complete && image.naturalWidth === 0).map((image) => image.currentSrc || image.src));
  if (broken.length > 0) throw new Error(`pictures that do not load on ${page.url()}: ${broken.join(', ')}`);
}

/** Clicks `locator` and waits for the page it leads to; returns that page's answer. */
async function follow(page, locator) {
  await imagesLoaded(page);
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return response;
}

async function open(page, url) {
  const response = await page.goto(url, { waitUntil: 'load' });
  assert.ok(response, `no answer for ${url}`);
  return response;
}

async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

async function cardTitles(page) {
  return page.locator('ul.cards > li.card h2 a').allInnerTexts();
}

/** Reloads `url` in `page` until `check()` holds or `ms` have passed; returns whether it held. */
async function pollUntil(page, url, ms, check) {
  const deadline = Date.now() + ms;
  for (;;) {
    await open(page, url);
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await page.waitForTimeout(1000);
  }
}

async function expectLang(page, code) {
  assert.equal(await page.locator('html').getAttribute('lang'), code, `the page should be in ${code}`);
}

// --- The journey ----------------------------------------------------------------------------------

const browser = await chromium.launch({ executablePath, headless });
const desktop = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
const phone = await browser.newContext({
  locale: 'fr-FR',
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
});
// A missing element fails its step after 10 s, not Playwright's 30.
desktop.setDefaultTimeout(10_000);
phone.setDefaultTimeout(10_000);
const page = watch(await desktop.newPage(), 'desktop');
const phonePage = watch(await phone.newPage(), 'phone');
let listingUrl = '';
let newListingUrl = '';
let catalogueCount = 0;

step('a visitor opens the catalogue, in French, with listings from here and from both partners', async () => {
  // Right after peering the partners' listings may still be on their way: wait for them.
  let cards = [];
  const ok = await pollUntil(page, `${lending}/catalogue`, FEDERATION_DEADLINE_MS, async () => {
    const origins = await page.locator('ul.cards .badge.origin').allInnerTexts();
    return origins.some((o) => o.includes(bikesDomain)) && origins.some((o) => o.includes(groceryDomain));
  });
  await expectLang(page, 'fr');
  assert.equal(await text(page.locator('main h1')), 'Annonces');
  assert.match(await page.title(), /La Coop du Prêt/);
  cards = await page.locator('ul.cards > li.card').all();
  assert.ok(cards.length >= 5, `only ${cards.length} listings in the catalogue`);
  catalogueCount = cards.length;
  let local = 0;
  for (const card of cards) {
    if ((await card.locator('.badge.origin').count()) === 0) local += 1;
  }
  assert.ok(local > 0, 'no listing of this cooperative (without an origin label) in the catalogue');
  assert.ok(ok, `the catalogue does not show listings labelled ${bikesDomain} and ${groceryDomain} within 30 s`);
  const label = await text(page.locator('ul.cards .badge.origin').first().locator('xpath=..'));
  assert.match(label, /Coopérative d'origine : /, 'the origin label');
  assert.equal(await text(page.locator('header nav a[href="/login"]')), 'Se connecter');
  await shot(page, '01-catalogue');
});

step("the front page shows the cooperative first, its members' listings, then a few of each partner's", async () => {
  for (const [p, name] of [[phonePage, '00-front-page-phone'], [page, '00-front-page']]) {
    await open(p, `${lending}/`);
    await expectLang(p, 'fr');
    assert.match(await text(p.locator('main h1')), /^La Coop du Prêt/);
    const ours = p.locator('section[aria-labelledby="ours-title"] ul.cards > li.card');
    assert.ok((await ours.count()) > 0, "no listing of the cooperative's members on its front page");
    assert.equal(await p.locator('section[aria-labelledby="ours-title"] .badge.origin').count(), 0,
      "a partner's listing among the cooperative's own");
    const partners = p.locator('section.partner');
    assert.equal(await partners.count(), 2, 'both partners have their section');
    for (const partner of await partners.all()) {
      const cards = partner.locator('ul.cards > li.card');
      assert.ok((await cards.count()) >= 1 && (await cards.count()) <= 4, 'a few listings of each partner');
      assert.equal(await partner.locator('.badge.origin').count(), await cards.count(), 'each labelled with its origin');
    }
    const names = await partners.locator('h3').allInnerTexts();
    assert.ok(names.some((n) => /Atelier Vélo/.test(n)), `partners: ${JSON.stringify(names)}`);
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= (p === phonePage ? 390 : 1280), `the front page is ${width} px wide`);
    await shot(p, name);
  }
  // From there to the whole shared catalogue, where the search steps go on.
  const response = await follow(page, page.locator('section[aria-labelledby="partners-title"] a.button[href="/catalogue"]'));
  assert.equal(response.status(), 200);
  assert.equal(await text(page.locator('main h1')), 'Annonces');
});

step('the catalogue on a phone (390x844)', async () => {
  await open(phonePage, `${lending}/catalogue`);
  await expectLang(phonePage, 'fr');
  assert.ok((await phonePage.locator('ul.cards > li.card').count()) > 0);
  // Nothing wider than the screen: no sideways scrolling.
  const width = await phonePage.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page is ${width} px wide on a 390 px screen`);
  await shot(phonePage, '02-catalogue-phone');
  // What a phone shows first, without scrolling.
  await phonePage.screenshot({ path: join(shotsDir, '02-catalogue-phone-first-screen.png') });
});

step('searches a word ("perceuse") and finds the drill', async () => {
  await page.locator('#q').fill('perceuse');
  const response = await follow(page, page.locator('form.search .search-row button[type=submit]'));
  assert.equal(response.status(), 200);
  assert.equal(new URL(page.url()).searchParams.get('q'), 'perceuse');
  const titles = await cardTitles(page);
  assert.ok(titles.includes('Perceuse-visseuse à prêter'), `search results: ${JSON.stringify(titles)}`);
  assert.ok(titles.length < catalogueCount, 'the search did not narrow the catalogue');
  assert.equal(await page.locator('#q').inputValue(), 'perceuse', 'the search box keeps the word');
  await shot(page, '03-search');
});

step('opens a listing page', async () => {
  const response = await follow(page, page.locator('ul.cards h2 a', { hasText: 'Perceuse-visseuse à prêter' }));
  assert.equal(response.status(), 200);
  assert.match(new URL(page.url()).pathname, /^\/listings\/[^/]+$/);
  listingUrl = page.url();
  assert.equal(await text(page.locator('main h1')), 'Perceuse-visseuse à prêter');
  assert.match(await text(page.locator('dl.facts')), /Publiée par Mehdi Benali/);
  assert.match(await page.title(), /^Perceuse-visseuse à prêter · /);
  await shot(page, '04-listing');
});

step('switches the language to English, which stays, and back to French', async () => {
  let response = await follow(page, page.locator('header nav.langs a[hreflang=en]'));
  assert.equal(response.status(), 200);
  assert.equal(new URL(page.url()).searchParams.get('lang'), 'en');
  await expectLang(page, 'en');
  assert.equal(await text(page.locator('main h1')), 'Perceuse-visseuse à prêter', 'same listing');
  assert.match(await text(page.locator('dl.facts')), /Published by Mehdi Benali/);
  assert.equal(await text(page.locator('header nav.langs strong')), 'EN');
  // The choice is remembered: the catalogue, without ?lang=, is in English.
  await follow(page, page.locator('header nav a[href="/catalogue"]').first());
  await expectLang(page, 'en');
  assert.equal(await text(page.locator('main h1')), 'Listings');
  assert.equal(await text(page.locator('header nav a[href="/login"]')), 'Log in');
  await shot(page, '05-catalogue-en');
  response = await follow(page, page.locator('header nav.langs a[hreflang=fr]'));
  assert.equal(response.status(), 200);
  await expectLang(page, 'fr');
  await open(page, listingUrl);
  await expectLang(page, 'fr');
  assert.match(await text(page.locator('dl.facts')), /Publiée par/);
});

step('logs in with a wrong password: an error message, in French', async () => {
  await follow(page, page.locator('header nav a[href="/login"]'));
  assert.equal(await text(page.locator('main h1')), 'Se connecter');
  await page.locator('#username').fill('camille');
  await page.locator('#password').fill('pas-le-bon-mot-de-passe');
  const response = await follow(page, page.locator('main form[action="/login"] button[type=submit]'));
  assert.ok(response.status() >= 400 && response.status() < 500, `a wrong password answered ${response.status()}`);
  assert.equal(await text(page.locator('main .errors[role=alert]')), 'Identifiant ou mot de passe incorrect.');
  assert.equal(await page.locator('#username').inputValue(), 'camille', 'the username is kept');
  assert.equal(await page.locator('#password').inputValue(), '', 'the password is not sent back');
  assert.equal(await page.locator('header form[action="/logout"]').count(), 0, 'not logged in');
  await shot(page, '06-login-error');
});

step('logs in as camille, administrator of the lending library', async () => {
  await page.locator('#password').fill(PASSWORD);
  const response = await follow(page, page.locator('main form[action="/login"] button[type=submit]'));
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('main .errors').count(), 0);
  assert.equal(await text(page.locator('header form[action="/logout"] button')), 'Se déconnecter');
  assert.equal(await text(page.locator('header nav a[href="/listings/new"]')), 'Publier une annonce');
  assert.equal(await text(page.locator('header nav a[href="/members/camille"]')), 'Mon profil');
  assert.equal(await page.locator('header nav a[href="/login"]').count(), 0);
});

step('publishes a listing through the form and sees it on its page', async () => {
  await follow(page, page.locator('header nav a[href="/listings/new"]'));
  assert.equal(await text(page.locator('main h1')), 'Publier une annonce');
  await shot(page, '07-new-listing-form');
  await page.getByLabel('Titre').fill(newTitle);
  await page.getByLabel('Description').fill(newDescription);
  await page.locator('#purpose-offer').check();
  await page.locator('#mode').selectOption('lend');
  await page.locator('#category').selectOption('objects-tools-diy');
  await page.locator('#visibility').selectOption('public');
  // Communes are suggested as the place is typed (the small script asks GET /api/v1/places).
  await page.locator('#location_name').pressSequentially('roub', { delay: 40 });
  await page.waitForFunction(() => document.querySelectorAll('#location_name-suggestions option').length > 0,
    null, { timeout: 5000 });
  assert.equal(await page.locator('#location_name-suggestions option').first().getAttribute('value'), 'Roubaix (59100)');
  await page.locator('#location_name').fill('Lille Wazemmes');
  const response = await follow(page, page.locator('main form[action="/listings"] button[type=submit]'));
  assert.equal(response.status(), 200);
  const url = new URL(page.url());
  assert.match(url.pathname, /^\/listings\/[^/]+$/);
  assert.equal(url.searchParams.get('done'), 'listing_created');
  newListingUrl = `${url.origin}${url.pathname}`;
  assert.equal(await text(page.locator('main .notice[role=status]')), 'Votre annonce est publiée.');
  assert.equal(await text(page.locator('main h1')), newTitle);
  assert.equal(await text(page.locator('main p.description')), newDescription);
  assert.match(await text(page.locator('dl.facts')), /Publiée par Camille Lefebvre/);
  assert.match(await text(page.locator('dl.facts')), /Lille Wazemmes/, 'the place as typed, found in Lille');
  assert.equal(await page.locator('main a[href*="openstreetmap.org/?mlat=50.63390"]').count(), 1,
    "the map link points at Lille's centre");
  assert.equal(await page.locator('main section.owner-actions').count(), 1, 'its author can manage it');
  await shot(page, '08-new-listing');
});

step('adds a photo to the new listing, with its description, without any script', async () => {
  await follow(page, page.locator('main section.owner-actions a', { hasText: 'Ajouter des photos' }));
  assert.match(await text(page.locator('main h1')), /^Photos de « /);
  await page.locator('#photo').setInputFiles(samplePhoto);
  await page.locator('#alt').fill('Un escabeau en aluminium à cinq marches');
  await shot(page, '08b-photos-form');
  const response = await follow(page, page.locator('main form[enctype="multipart/form-data"] button[type=submit]'));
  assert.equal(response.status(), 200);
  assert.equal(await text(page.locator('main .notice[role=status]')), 'Photo ajoutée.');
  assert.equal(await page.locator('ol.photo-list img').count(), 1);
  await open(page, newListingUrl);
  const img = page.locator('main .gallery img').first();
  assert.equal(await img.getAttribute('alt'), 'Un escabeau en aluminium à cinq marches');
  // The ladder is drawn standing (960 × 1280): kept at 320, 640 and its own 960 pixels of width.
  assert.match(await img.getAttribute('srcset'), /-320\.jpg 320w, .*-640\.jpg 640w, .*-960\.jpg 960w$/);
  await img.evaluate((el) => el.decode());
  assert.ok(await img.evaluate((el) => el.naturalWidth > 0), 'the photo does not load');
  await shot(page, '08c-listing-with-photo');
});

step('the listing with its photo, and its photos page, in English, on a phone and a desktop', async () => {
  await open(phonePage, `${newListingUrl}?lang=en`);
  await expectLang(phonePage, 'en');
  const width = await phonePage.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the listing page is ${width} px wide on a 390 px screen`);
  await phonePage.locator('main .gallery img').first().evaluate((el) => el.decode());
  await shot(phonePage, '08e-listing-with-photo-phone-en');
  await open(page, `${newListingUrl}/photos?lang=en`);
  await expectLang(page, 'en');
  assert.match(await text(page.locator('main h1')), /^Photos of “/);
  assert.equal(await page.locator('ol.photo-list img').getAttribute('alt'), 'Un escabeau en aluminium à cinq marches');
  await shot(page, '08f-photos-page-en');
  // Back to French, which the steps after this one read.
  await open(page, `${newListingUrl}?lang=fr`);
  await open(phonePage, `${lending}/?lang=fr`);
  await expectLang(page, 'fr');
});

step("the demo's listings show their photos on the catalogue, on a phone too", async () => {
  for (const p of [page, phonePage]) {
    await open(p, `${lending}/catalogue`);
    const thumbnails = p.locator('ul.cards img.thumbnail');
    assert.ok((await thumbnails.count()) >= 3, `${await thumbnails.count()} cards with a photo`);
    const first = thumbnails.first();
    await first.scrollIntoViewIfNeeded();
    await first.evaluate((el) => el.decode());
    assert.ok(await first.evaluate((el) => el.naturalWidth > 0), 'a thumbnail does not load');
  }
  await shot(phonePage, '08d-catalogue-phone-photos');
});

step('finds the new listing in the catalogue, as a listing of this cooperative', async () => {
  await open(page, `${lending}/catalogue`);
  const card = page.locator('ul.cards > li.card', { hasText: newTitle });
  assert.equal(await card.count(), 1, 'the new listing is on the first page of the catalogue');
  assert.equal(await card.locator('.badge.origin').count(), 0, 'no origin label: it is from here');
  assert.equal(new URL(await card.locator('h2 a').getAttribute('href'), lending).pathname, new URL(newListingUrl).pathname);
  await open(page, `${lending}/catalogue?q=${encodeURIComponent(stamp)}`);
  assert.deepEqual(await cardTitles(page), [newTitle]);
});

step(`the new listing reaches the partners' catalogues (${bikesDomain}, ${groceryDomain}) within 30 s`, async () => {
  const partner = watch(await desktop.newPage(), 'partner');
  try {
    for (const [origin, name] of [[bikes, 'bikes'], [grocery, 'grocery']]) {
      const url = `${origin}/catalogue?q=${encodeURIComponent(stamp)}`;
      const arrived = await pollUntil(partner, url, FEDERATION_DEADLINE_MS, async () =>
        (await cardTitles(partner)).includes(newTitle));
      assert.ok(arrived, `${newTitle} is not in ${url} after 30 s`);
      const card = partner.locator('ul.cards > li.card', { hasText: newTitle });
      assert.match(await text(card.locator('.badge.origin')), new RegExp(`localhost:${basePort}\\b`));
      // Its photo, fetched from the lending instance and served by the partner's own media proxy
      // (the first view waits for that fetch): shown before the page is left.
      const thumbnail = card.locator('img.thumbnail');
      assert.match(await thumbnail.getAttribute('src'), /^\/media\/[0-9a-f]{32}-\d+\.jpg$/);
      await partner.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumbnail.elementHandle(),
        { timeout: 15_000 });
      await shot(partner, `09-partner-catalogue-${name}`);
    }
    // Its page there names where it comes from.
    await follow(partner, partner.locator('ul.cards h2 a', { hasText: newTitle }));
    assert.equal(await text(partner.locator('main h1')), newTitle);
    assert.match(await text(partner.locator('dl.facts')), /Coopérative d'origine La Coop du Prêt/);
  } finally {
    await partner.close();
  }
});

step('submits the new-listing form with an empty title: the error summary, and nothing created', async () => {
  await open(page, `${lending}/listings/new`);
  await page.getByLabel('Description').fill(emptyTitleDescription);
  await page.locator('#category').selectOption('objects-tools-diy');
  const response = await follow(page, page.locator('main form[action="/listings"] button[type=submit]'));
  assert.equal(response.status(), 422);
  const summary = page.locator('main .errors[role=alert]');
  assert.match(await text(summary), /^Certains champs sont à corriger\./);
  const link = summary.locator('a[href="#title"]');
  assert.equal(await text(link), 'Titre', 'the summary links to the title field');
  assert.match(await text(summary.locator('li', { has: page.locator('a[href="#title"]') })), /Ce champ est obligatoire\./);
  assert.equal(await page.locator('#title').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('#description').inputValue(), emptyTitleDescription, 'what was typed is kept');
  assert.equal(await page.locator('#category').inputValue(), 'objects-tools-diy');
  await shot(page, '10-form-error');
  // Following the summary's link puts the focus on the field.
  await link.click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'title');
  await open(page, `${lending}/catalogue?q=brouillon${stamp}`);
  assert.equal(await page.locator('ul.cards > li.card').count(), 0, 'a listing was created without a title');
  assert.equal(await text(page.locator('main p.notice')), 'Aucune annonce ne correspond à cette recherche.');
});

step("the administrator's /admin/peers page lists both partners, peered", async () => {
  await follow(page, page.locator('header nav a[href="/admin"]'));
  assert.equal(await text(page.locator('main h1')), 'Administration');
  await open(page, `${lending}/admin/peers`);
  assert.equal(await text(page.locator('main h1')), 'Coopératives partenaires');
  const rows = page.locator('main table tbody tr');
  for (const domain of [bikesDomain, groceryDomain]) {
    const row = rows.filter({ hasText: domain });
    assert.equal(await row.count(), 1, `${domain} is not listed`);
    assert.equal(await text(row.locator('td').nth(1)), 'appairée', `${domain}'s state`);
  }
  await shot(page, '11-admin-peers');
  // The same page on a phone, logged in there too.
  await open(phonePage, `${lending}/login?next=/admin/peers`);
  await phonePage.locator('#username').fill('camille');
  await phonePage.locator('#password').fill(PASSWORD);
  await follow(phonePage, phonePage.locator('main form[action="/login"] button[type=submit]'));
  assert.equal(new URL(phonePage.url()).pathname, '/admin/peers');
  assert.equal(await phonePage.locator('main table tbody tr').count(), await rows.count());
  const width = await phonePage.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the peers page is ${width} px wide on a 390 px screen`);
  await shot(phonePage, '12-admin-peers-phone');
});

step('the administrator presents the cooperative (text, colour, logo) and the front page shows it', async () => {
  await open(page, `${lending}/admin/cooperative`);
  assert.equal(await text(page.locator('main h1')), 'La coopérative');
  const presentation = [
    '## Qui sommes-nous',
    '',
    `La **Coop du Prêt** prête des objets entre voisins, à Lille (${stamp}).`,
    '',
    '- le mardi de 18 h à 20 h',
    '- le samedi de 10 h à 12 h',
    '',
    '<script>alert("non")</script>',
  ].join('\n');
  await page.locator('#presentation').fill(presentation);
  await page.locator('#accent-plum').check();
  await shot(page, '14-admin-cooperative');
  await follow(page, page.locator('main form[action="/admin/cooperative"] button[type=submit]'));
  assert.equal(await text(page.locator('main p.notice')), 'Présentation enregistrée.');
  assert.equal(await page.locator('#accent-plum').isChecked(), true);
  await page.locator('#logo').setInputFiles(samplePhoto);
  await follow(page, page.locator('main form[action="/admin/cooperative/logo"] button[type=submit]'));
  assert.equal(await text(page.locator('main p.notice')), 'Logo enregistré.');

  await open(page, `${lending}/`);
  assert.equal(await page.locator('html').getAttribute('class'), 'accent-plum');
  assert.equal(await text(page.locator('.presentation h2')), 'Qui sommes-nous');
  assert.equal(await text(page.locator('.presentation strong')), 'Coop du Prêt');
  assert.equal(await page.locator('.presentation li').count(), 2);
  assert.equal(await page.locator('main script').count(), 0, 'the presentation carried a script');
  assert.match(await text(page.locator('.presentation')), /<script>alert\("non"\)<\/script>/, 'HTML shows as text');
  const button = await page.locator('main a.button').first().evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(button, 'rgb(138, 53, 102)', 'the buttons take the colour chosen');
  for (const logo of [page.locator('img.front-logo'), page.locator('header .brand img')]) {
    await logo.evaluate((el) => el.decode());
    assert.ok(await logo.evaluate((el) => el.naturalWidth > 0), 'the logo does not load');
  }
  await shot(page, '15-front-page-presented');
  for (const [p, lang, name] of [[phonePage, 'fr', '15-front-page-presented-phone'], [page, 'en', '15-front-page-presented-en'],
    [phonePage, 'en', '15-front-page-presented-phone-en']]) {
    await open(p, `${lending}/?lang=${lang}`);
    await expectLang(p, lang);
    assert.equal(await text(p.locator('#ours-title')), lang === 'en' ? "Our members' listings" : 'Les annonces de nos membres');
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= (p === phonePage ? 390 : 1280), `the front page is ${width} px wide`);
    await shot(p, name);
  }
  await open(page, `${lending}/?lang=fr`);
  await open(phonePage, `${lending}/?lang=fr`);
});

step('logs out', async () => {
  const response = await follow(page, page.locator('header form[action="/logout"] button'));
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('header form[action="/logout"]').count(), 0);
  assert.equal(await text(page.locator('header nav a[href="/login"]')), 'Se connecter');
  // The member's pages are closed again.
  await open(page, `${lending}/listings/new`);
  assert.equal(await page.locator('main form[action="/listings"]').count(), 0, 'the new-listing form is still shown');
  await shot(page, '13-logged-out');
});

// --- A loan between two cooperatives, on phones -------------------------------------------------

/** A day `days` from today, as a date field takes it. */
function dayFromToday(days) {
  const date = new Date(Date.now() + days * 86_400_000);
  return date.toISOString().slice(0, 10);
}

const borrowerContext = await browser.newContext({ locale: 'fr-FR', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
const lenderContext = await browser.newContext({ locale: 'fr-FR', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
borrowerContext.setDefaultTimeout(10_000);
lenderContext.setDefaultTimeout(10_000);
const borrower = watch(await borrowerContext.newPage(), 'borrower');
const lender = watch(await lenderContext.newPage(), 'lender');
let borrowerExchangeUrl = '';
let lenderExchangeUrl = '';
const loanNote = `Pour la pelouse du jardin partagé, merci ! (essai ${stamp})`;

async function logIn(member, base, username) {
  await open(member, `${base}/login?lang=fr`);
  await member.locator('#username').fill(username);
  await member.locator('#password').fill(PASSWORD);
  const response = await follow(member, member.locator('main form[action="/login"] button[type=submit]'));
  assert.equal(response.status(), 200);
  assert.equal(await member.locator('header form[action="/logout"]').count(), 1, `${username} is logged in`);
}

step(`a member of the bike workshop, on a phone, proposes to borrow a partner's lawnmower (${bikesDomain} → ${lending})`, async () => {
  await logIn(borrower, bikes, 'lea_bonnel');
  await open(borrower, `${bikes}/catalogue?q=tondeuse&scope=peers`);
  await follow(borrower, borrower.locator('ul.cards > li.card h2 a', { hasText: 'Tondeuse hélicoïdale' }));
  const start = borrower.locator('p.exchange-start a.button');
  assert.equal(await text(start), 'Emprunter');
  await follow(borrower, start);
  assert.match(await text(borrower.locator('h1')), /^Proposer un échange : Tondeuse hélicoïdale$/);
  await borrower.locator('#from').fill(dayFromToday(20));
  await borrower.locator('#until').fill(dayFromToday(22));
  await borrower.locator('#message').fill(loanNote);
  await shot(borrower, '20-exchange-form-phone');
  const response = await follow(borrower, borrower.locator('button[name=intent][value=propose]'));
  assert.equal(response.status(), 200);
  borrowerExchangeUrl = borrower.url().split('?')[0];
  assert.match(borrowerExchangeUrl, /\/exchanges\/[0-9a-f]{32}$/);
  assert.equal(await text(borrower.locator('.badge.state-proposed')), 'Proposé');
  assert.match(await text(borrower.locator('dl.facts')), /Vous empruntez/);
  assert.match(await text(borrower.locator('ol.entries')), new RegExp(loanNote.replace(/[()!]/g, '.')));
  await shot(borrower, '21-exchange-proposed-phone');
});

step('the lender, at the lending library, sees it waiting in « Mes échanges » and accepts it', async () => {
  await logIn(lender, lending, 'sophie_delattre');
  const ok = await pollUntil(lender, `${lending}/exchanges`, FEDERATION_DEADLINE_MS, async () =>
    (await lender.locator('#to-answer + ul a', { hasText: 'Tondeuse hélicoïdale' }).count()) > 0);
  assert.ok(ok, 'the proposal did not reach the lender within 30 s');
  const count = (await text(lender.locator('header nav a[href="/exchanges"] .count'))).match(/\d+$/);
  assert.ok(count && Number(count[0]) >= 1, `a count in the menu: ${count}`);
  await shot(lender, '22-my-exchanges-phone');
  await follow(lender, lender.locator('#to-answer + ul a', { hasText: 'Tondeuse hélicoïdale' }).first());
  lenderExchangeUrl = lender.url();
  assert.match(await text(lender.locator('ol.entries')), /essai/);
  await follow(lender, lender.locator(`form[action$="/accept"] button`));
  assert.equal(await text(lender.locator('.badge.state-accepted')), 'Accepté');
  await shot(lender, '23-exchange-accepted-phone');
});

step('the borrower sees it accepted; the lender hands it over; the borrower sees that too and writes', async () => {
  const accepted = await pollUntil(borrower, borrowerExchangeUrl, FEDERATION_DEADLINE_MS, async () =>
    (await borrower.locator('.badge.state-accepted').count()) > 0);
  assert.ok(accepted, 'the acceptance did not reach the borrower within 30 s');
  await open(lender, lenderExchangeUrl);
  await follow(lender, lender.locator('form[action$="/hand-over"] button'));
  assert.equal(await text(lender.locator('.badge.state-handed_over')), 'Objet remis');
  const handedOver = await pollUntil(borrower, borrowerExchangeUrl, FEDERATION_DEADLINE_MS, async () =>
    (await borrower.locator('.badge.state-handed_over').count()) > 0);
  assert.ok(handedOver, 'the hand-over did not reach the borrower within 30 s');
  await borrower.locator('#body').fill('Bien reçue, je la rends dimanche soir.');
  await follow(borrower, borrower.locator('form#message button[type=submit]'));
  assert.match(await text(borrower.locator('ol.entries')), /Bien reçue/);
  await shot(borrower, '24-exchange-handed-over-phone');
  const written = await pollUntil(lender, lenderExchangeUrl, FEDERATION_DEADLINE_MS, async () =>
    /Bien reçue/.test(await text(lender.locator('ol.entries'))));
  assert.ok(written, "the borrower's message did not reach the lender within 30 s");
});

// --- A repairer joins the repairers' collective hosted by another cooperative ---------------------

const repairerContext = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
const moderatorContext = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
repairerContext.setDefaultTimeout(10_000);
moderatorContext.setDefaultTimeout(10_000);
const repairer = watch(await repairerContext.newPage(), 'repairer');
const moderator = watch(await moderatorContext.newPage(), 'moderator');
const collectiveAddress = `!reparateurs_mel@localhost:${basePort}`;
const repairerNote = `Je répare les vélos de mon quartier (essai ${stamp}).`;

step(`a repairer of the bike workshop finds the repairers' collective hosted by the lending library and asks to join (${bikesDomain} → ${lending})`, async () => {
  await logIn(repairer, bikes, 'karim_saidi');
  await open(repairer, `${bikes}/collectives`);
  await repairer.locator('#address').fill(collectiveAddress);
  await follow(repairer, repairer.locator('form[action="/collectives/lookup"] button[type=submit]'));
  assert.match(repairer.url(), /\/collectives\/reparateurs_mel@localhost:\d+$/);
  assert.equal(await text(repairer.locator('h1')), 'Collectif des réparateurs vélo de la MEL');
  assert.match(await text(repairer.locator('.charter')), /Réparer sans juger/);
  await shot(repairer, '30-collective-page');
  await follow(repairer, repairer.locator('.standing a.button', { hasText: 'Rejoindre le collectif' }));
  // Without ticking the charter: the form again, with a message and what was typed.
  await repairer.locator('#answer1').fill("L'atelier du quartier de l'Épeule");
  await repairer.locator('#message').fill(repairerNote);
  const refused = await follow(repairer, repairer.locator('form.collective-join button[type=submit]'));
  assert.equal(refused.status(), 422);
  assert.match(await text(repairer.locator('.errors')), /Cochez que vous acceptez la charte/);
  assert.equal(await repairer.locator('#message').inputValue(), repairerNote);
  await repairer.locator('#accept').check();
  await shot(repairer, '31-join-form');
  const sent = await follow(repairer, repairer.locator('form.collective-join button[type=submit]'));
  assert.equal(sent.status(), 200);
  assert.match(await text(repairer.locator('.standing')), /attend la réponse des modérateurs/);
});

step('the moderator, at the lending library, sees the request in the menu, reads it and admits the repairer', async () => {
  await logIn(moderator, lending, 'sophie_delattre');
  const requests = `${lending}/collectives/reparateurs_mel/members`;
  const arrived = await pollUntil(moderator, requests, FEDERATION_DEADLINE_MS, async () =>
    (await moderator.locator('ul.requests li', { hasText: 'karim_saidi@' }).count()) > 0);
  assert.ok(arrived, 'the request did not reach the moderator within 30 s');
  const count = (await text(moderator.locator('header nav a[href="/collectives"] .count'))).match(/\d+$/);
  assert.ok(count && Number(count[0]) >= 1, `a count in the menu: ${count}`);
  const request = moderator.locator('ul.requests li', { hasText: 'karim_saidi@' });
  assert.match(await text(request), /Épeule/);
  await shot(moderator, '32-collective-requests');
  await follow(moderator, request.locator('form[action$="/approve"] button'));
  assert.match(await text(moderator.locator('p.notice')), /admise/);
});

step("the repairer's badge shows on their profile, on their own cooperative, once the collective has confirmed it", async () => {
  const confirmed = await pollUntil(repairer, `${bikes}/members/karim_saidi`, FEDERATION_DEADLINE_MS, async () =>
    /Collectif des réparateurs vélo de la MEL/.test(await text(repairer.locator('dl.facts'))));
  assert.ok(confirmed, 'the admission did not reach the workshop within 30 s');
  assert.match(await text(repairer.locator('dl.facts')), /charte v1 acceptée/);
  await shot(repairer, '33-collective-badge');
  await follow(repairer, repairer.locator('dl.facts a.badge', { hasText: 'Collectif des réparateurs' }));
  assert.match(await text(repairer.locator('.standing')), /Vous êtes membre de ce collectif/);
});

// --- Run ------------------------------------------------------------------------------------------

let stopped = false;
for (const { name, run } of steps) {
  if (stopped) {
    results.skipped += 1;
    console.log(`skip  ${name}`);
    continue;
  }
  problems = [];
  const started = Date.now();
  let error;
  try {
    await run();
    // Let late console messages of the step's last page arrive.
    await page.waitForTimeout(50);
  } catch (caught) {
    error = caught;
  }
  const seen = problems.map((p) => (typeof p === 'function' ? p() : p)).filter(Boolean);
  problems = [];
  const ms = Date.now() - started;
  if (!error && seen.length === 0) {
    results.passed += 1;
    console.log(`ok    ${name} (${ms} ms)`);
    continue;
  }
  results.failed += 1;
  stopped = true;
  console.log(`FAIL  ${name} (${ms} ms)`);
  if (error) console.log(`      ${String(error.message ?? error).split('\n').join('\n      ')}`);
  for (const problem of seen) console.log(`      ${problem}`);
  console.log(`      at ${page.url()}`);
  try {
    await shot(page, 'failure');
    console.log(`      screenshot: ${join(shotsDir, 'failure.png')}`);
  } catch {
    // The page may be gone.
  }
}
await browser.close();
console.log(`screenshots: ${shotsDir}`);
console.log(`journeys: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
process.exitCode = results.failed > 0 || results.passed !== steps.length ? 1 : 0;
