// The dashboard in a real headless browser against the fixture server (fixture_server.py):
// every section rendered, a change shown live within a second without reload, the stale
// banner on a dropped stream, a stale state and a silent stream, search and filters at
// 10,000 volumes with a bounded DOM, the keyboard path through the tabs, hostile names shown
// as text, and no console error or failed request anywhere.
//
//   node test_page.mjs --base http://127.0.0.1:PORT/ --browser chromium|firefox
//   env ZKS_SCREENSHOT=/path/shot-{browser}.png  saves the overview (50 nodes, 10,000 volumes)

import { launch, watch, Runner, until, post, get, arg } from './lib.mjs';

const base = arg('base');
const which = arg('browser', 'chromium');
const t = new Runner(which);
const HOSTILE_VOLUME = '<img src=x onerror="window.__zksPwned=1">';
const HOSTILE_ENDPOINT = '<script>window.__zksPwned=2</script>';

const text = (page, sel) => page.$eval(sel, (e) => e.textContent.replace(/\s+/g, ' ').trim());
const count = (page, sel) => page.$$eval(sel, (es) => es.length);
const bannerShown = (page) => page.$eval('#stale', (e) => !e.hidden && e.getBoundingClientRect().height > 0);
const activeId = (page) => page.evaluate(() => document.activeElement && document.activeElement.matches(':focus') ? document.activeElement.id : null);

async function pageUntil(page, fn, arg0, timeout) {
	return until(() => page.evaluate(fn, arg0), { timeout });
}

async function sections(page) {
	t.ok(/2/.test(await text(page, '#g-nodes')) && /2 connected/.test(await text(page, '#g-nodes')), 'header: 2 nodes, 2 connected', await text(page, '#g-nodes'));
	t.ok(/6/.test(await text(page, '#g-volumes')), 'header: 6 volumes (5 and a configuration volume)', await text(page, '#g-volumes'));
	t.ok(/connected/.test(await text(page, '#g-zk')), 'header: ZooKeeper state', await text(page, '#g-zk'));
	t.ok(/n1/.test(await text(page, '#g-self')), 'header: this node', await text(page, '#g-self'));
	t.ok((await text(page, '#g-updated')).length > 0, 'header: last update');
	t.equal(await count(page, '#picture .node'), 2, 'picture: 2 nodes');
	t.equal(await count(page, '#picture .node.self'), 1, 'picture: this node marked');
	t.equal(await count(page, '#picture .zk-leader'), 1, 'picture: the leader marked');
	t.equal(await count(page, '#picture line.link'), 2, 'picture: a line per session');
	t.equal(await count(page, '#nodes-body tr[data-node]'), 2, 'nodes: 2 rows');
	t.ok(/connected/.test(await text(page, '#nodes-body tr[data-node="n2"]')) && /198\.18\.0\.2/.test(await text(page, '#nodes-body tr[data-node="n2"]')),
		'nodes: n2 with state and address', await text(page, '#nodes-body tr[data-node="n2"]'));
	t.equal(await count(page, '#vol-body tr[data-volume]'), 6, 'volumes: 6 rows');
	t.ok(/config\s*v3/.test(await text(page, '#vol-body tr[data-volume="cfg-app"]')), 'a configuration volume: its type and version', await text(page, '#vol-body tr[data-volume="cfg-app"]'));
	t.ok(/net-1/.test(await text(page, '#pools-body')) && !/[0-9a-f]{25}/.test(await text(page, '#pools-body')), 'pools: their networks by name, not key', await text(page, '#pools-body'));
	t.equal(await count(page, '#networks .card'), 2, 'networks: 2 cards');
	t.ok(/VNI\s*409[78]/.test(await text(page, '#networks .card')) && /MTU\s*1450/.test(await text(page, '#networks .card')), 'networks: VNI and MTU', await text(page, '#networks .card'));
	t.equal(await count(page, '#pools-body tr'), 2, 'pools: 2 rows');
	t.equal(await count(page, '#pools-body svg.bar rect.bar-fg'), 2, 'pools: a fill bar each');
	t.equal(await count(page, '#zk-body tr'), 3, 'ZooKeeper: 3 servers');
	t.ok(/leader/.test(await text(page, '#zk-body tr.leader')), 'ZooKeeper: the leader named');
	t.ok(/0x1000000000001/.test(await text(page, '#zk-self')) && /synced/.test(await text(page, '#zk-self')), 'ZooKeeper: this node\'s session and mirror');
	// the feed comes with the stream's hello, which may arrive after the document rendered
	t.ok(await pageUntil(page, () => document.querySelectorAll('#feed li').length >= 3, undefined, 3000), 'feed: the hello items');
	const ep = await page.$eval('#feed li[data-kind="endpoint.joined"] .text', (e) => ({ text: e.textContent, title: e.title }));
	t.ok(!/^[0-9a-f]{12} /.test(ep.text) && / joined net-\d on n\d+ \(/.test(ep.text) && /^endpoint [0-9a-f]{12}/.test(ep.title),
		'feed: an endpoint that joined before its name record, shown by the name the document has', ep);
	// every tab shows its panel when clicked
	for (const name of ['nodes', 'volumes', 'networks', 'zookeeper', 'feed', 'overview']) {
		await page.click(`#tab-${name}`);
		const shown = await page.$eval(`#panel-${name}`, (p) => !p.hidden && p.getBoundingClientRect().height > 0);
		const others = await page.$$eval('[role=tabpanel]', (ps, me) => ps.filter((p) => p.id !== me && !p.hidden).length, `panel-${name}`);
		t.ok(shown && others === 0, `tab ${name}: its panel alone is shown`);
	}
}

async function hostile(page) {
	const names = await page.$$eval('#vol-body tr[data-volume] th', (ths) => ths.map((x) => x.textContent));
	t.ok(names.includes(HOSTILE_VOLUME), 'hostile volume name shown as text');
	t.ok(await page.$$eval('#networks td', (tds, want) => tds.some((x) => x.textContent === want), HOSTILE_ENDPOINT), 'hostile endpoint name shown as text');
	t.ok(await page.$$eval('#feed .text', (xs, want) => xs.some((x) => x.textContent.includes(want)), HOSTILE_VOLUME), 'hostile name in the feed as text');
	t.equal(await count(page, 'main img, main script, #feed img, #recent img'), 0, 'no element made from a name');
	t.equal(await page.evaluate(() => window.__zksPwned === undefined), true, 'no script ran from a name');
}

async function liveChange(page) {
	await page.evaluate(() => { window.__zksNoReload = 1; });
	const t0 = Date.now();
	const r = await post(base, '/_fixture/change?name=added-by-test&node=n2');
	const seen = await pageUntil(page, () => {
		const row = document.querySelector('#vol-body tr[data-volume="added-by-test"]');
		return row && /n2/.test(row.textContent);
	}, undefined, 3000);
	const ms = Date.now() - t0;
	console.log(`# ${which}: change shown ${ms} ms after the fixture was asked (seq ${r.seq})`);
	t.ok(seen && ms < 1000, `a change shows within a second (${ms} ms): the new volume with n2 as holder`);
	t.equal(await page.evaluate(() => window.__zksNoReload), 1, 'without a reload');
	t.ok(/added-by-test mounted on n2/.test(await text(page, '#feed')), 'the feed says so');
	t.ok(/added-by-test/.test(await text(page, '#announce')), 'announced in the polite live region');
	t.equal(await page.$eval('#announce', (e) => e.getAttribute('aria-live')), 'polite', 'the live region is polite');
	t.ok(/7/.test(await text(page, '#g-volumes')), 'header counts 7 volumes');
}

async function staleState(page) {
	t.equal(await bannerShown(page), false, 'no banner while live');
	await post(base, '/_fixture/stale?stale=1&zookeeper=connecting');
	t.ok(await until(() => bannerShown(page), { timeout: 2000 }), 'a stale state event shows the banner');
	const msg = await text(page, '#stale');
	t.ok(/connecting/.test(msg) && /Since/.test(msg), 'the banner says why and since when', msg);
	await post(base, '/_fixture/stale?stale=0&zookeeper=connected');
	t.ok(await until(async () => !(await bannerShown(page)), { timeout: 2000 }), 'and goes when the node is back');
}

async function dropped(page, w) {
	const before = await get(base, '/_fixture/streams');
	// Chromium reports a stream the server ended (even with chunked encoding's last chunk)
	// as net::ERR_ABORTED: expected here, and only for the event stream
	const ev = /\/api\/v1\/events$/;
	w.allow(ev);
	await post(base, '/_fixture/drop-stream');
	const t0 = Date.now();
	t.ok(await until(() => bannerShown(page), { timeout: 2000, every: 10 }), 'stream dropped: the banner shows');
	t.ok(/Not live/.test(await text(page, '#stale')), 'it says the page is not live', await text(page, '#stale'));
	const back = await until(async () => !(await bannerShown(page)), { timeout: 8000 });
	const s = await get(base, '/_fixture/streams');
	console.log(`# ${which}: reconnected ${Date.now() - t0} ms after the drop`);
	t.ok(back && s.served > before.served && s.open >= 1, 'it reconnects by itself and the banner goes', s);
	// still stale when the stream comes back: the hello says so, the banner stays
	await post(base, '/_fixture/stale?stale=1&zookeeper=connecting');
	await post(base, '/_fixture/drop-stream');
	const s2 = await get(base, '/_fixture/streams');
	const rehello = await until(async () => (await get(base, '/_fixture/streams')).served > s2.served, { timeout: 8000 });
	// the fixture counts a stream served before it sends the hello: until the page has read it,
	// the banner still says the stream was lost
	const saysStale = rehello && await until(async () => await bannerShown(page) && /Stale view/.test(await text(page, '#stale')), { timeout: 3000 });
	t.ok(saysStale, 'reconnected while stale: the banner stays, saying stale', await text(page, '#stale'));
	await post(base, '/_fixture/stale?stale=0&zookeeper=connected');
	t.ok(await until(async () => !(await bannerShown(page)), { timeout: 3000 }), 'and goes when the node is back');
	// refused streams (503, too many clients): the page says why and keeps trying
	await post(base, '/_fixture/refuse-streams?n=2');
	await post(base, '/_fixture/drop-stream');
	t.ok(await until(async () => /503/.test(await text(page, '#stale')), { timeout: 6000 }), 'a refused stream: the banner gives the answer', await text(page, '#stale'));
	t.ok(await until(async () => !(await bannerShown(page)), { timeout: 12000 }), 'the page tries again and comes back live');
	t.equal((await get(base, '/_fixture/streams')).refused, 2, 'after the two refusals');
	w.disallow(ev);
	// a change after the reconnection is shown too
	await post(base, '/_fixture/change?name=after-drop&node=n2');
	t.ok(await pageUntil(page, () => !!document.querySelector('#vol-body tr[data-volume="after-drop"]'), undefined, 3000), 'changes flow again after the reconnection');
	// a silent stream (no ping, no event): stale after 12 s, then a fresh connection
	w.allow(ev); // the page aborts the silent stream: an expected failed request
	await post(base, '/_fixture/stall');
	const t1 = Date.now();
	const shown = await until(() => bannerShown(page), { timeout: 16000, every: 100 });
	const ms = Date.now() - t1;
	t.ok(shown && ms >= 11000, `a silent stream: the banner after ${ms} ms (12 s without a message)`);
	t.ok(await until(async () => !(await bannerShown(page)), { timeout: 8000 }), 'then it reconnects and the banner goes');
	w.disallow(ev);
}

async function bigVolumes(page) {
	await post(base, '/_fixture/load?nodes=50&volumes=10000&networks=12&hostile=1');
	t.ok(await pageUntil(page, () => document.getElementById('c-volumes').textContent === '10,002', undefined, 10000), 'the page follows to 10,002 volumes');
	t.equal(await count(page, '#picture .node'), 50, 'picture: 50 nodes');
	await page.click('#tab-volumes');
	const rows = await count(page, '#vol-body tr');
	t.ok(rows > 0 && rows <= 100, `only the first rows in the DOM (${rows})`);
	t.ok(/Showing 100 of 10,002/.test(await text(page, '#vol-status')), 'says how many are shown', await text(page, '#vol-status'));
	await page.click('#vol-q');
	await page.keyboard.type('vol-0999');
	t.ok(await pageUntil(page, () => document.querySelectorAll('#vol-body tr[data-volume]').length === 10, undefined, 3000), 'search "vol-0999": 10 rows');
	const names = await page.$$eval('#vol-body tr[data-volume]', (rs) => rs.map((r) => r.dataset.volume));
	t.ok(names.every((n) => n.startsWith('vol-0999')), 'all of them match', names.slice(0, 3));
	t.ok(/10 of 10 matching|Showing 10 of 10/.test(await text(page, '#vol-status')), 'the count says 10', await text(page, '#vol-status'));
	await page.$eval('#vol-q', (e) => { e.value = ''; e.dispatchEvent(new Event('input', { bubbles: true })); });
	await page.select('#vol-node', 'n2');
	const byNode = await pageUntil(page, () => {
		const rs = [...document.querySelectorAll('#vol-body tr[data-volume]')];
		return rs.length > 0 && rs.every((r) => [...r.querySelectorAll('.holder strong')].some((s) => s.textContent === 'n2')) && rs.length;
	}, undefined, 3000);
	t.ok(byNode, `filter by node n2: every row held on n2 (${byNode})`);
	await page.select('#vol-node', '');
	await page.select('#vol-marker', 'conflict');
	const conflicts = await pageUntil(page, () => {
		const rs = [...document.querySelectorAll('#vol-body tr[data-volume]')];
		return rs.length > 0 && rs.every((r) => /conflict/.test(r.lastElementChild.textContent)) && rs.length;
	}, undefined, 3000);
	t.ok(conflicts, `filter conflicts: every row marked (${conflicts})`);
	await page.select('#vol-marker', '');
	await page.select('#vol-option', 'backup');
	t.ok(await pageUntil(page, () => {
		const rs = [...document.querySelectorAll('#vol-body tr[data-volume]')];
		return rs.length > 0 && rs.every((r) => /backup=daily/.test(r.textContent));
	}, undefined, 3000), 'filter by option: every row has it');
	await page.select('#vol-option', '');
	await page.click('#vol-more');
	const more = await pageUntil(page, () => document.querySelectorAll('#vol-body tr').length, undefined, 3000);
	t.ok(more === 200, `"show more" adds rows (${more})`);
	const all = await count(page, 'tr');
	t.ok(all < 1000, `the whole page holds a bounded number of rows (${all}) at 10,002 volumes`);
}

// nulls and missing fields where the contract allows them: the page says so, without errors
async function sparse(page) {
	const r = await post(base, '/_fixture/load?nodes=3&volumes=5&networks=2&sparse=1');
	t.ok(await pageUntil(page, (seq) => document.documentElement.dataset.seq === String(seq), r.seq, 5000), 'a sparse document rendered');
	t.ok(/never/.test(await text(page, '#nodes-body')), 'nodes never heard from say "never"', await text(page, '#nodes-body'));
	t.ok(/No server answered/.test(await text(page, '#zk-body')), 'no ensemble yet: said so');
	t.ok(/not probed yet/.test(await text(page, '#zk-self')), 'no latency yet: said so');
	t.ok(/unnamed/.test(await text(page, '#networks')), 'endpoints without names: "unnamed"');
	const n1 = await text(page, '#nodes-body tr[data-node="n1"]');
	t.ok(/connected/.test(n1) && /never/.test(n1), 'a registered node whose beat is not known: connected, never heard', n1);
	t.ok(/unreadable record/.test(await text(page, '#networks')) && /[0-9a-f]{25}/.test(await text(page, '#networks h3')), 'unreadable network records: said so, shown by key', await text(page, '#networks h3'));
	t.ok(await bannerShown(page), 'a mirror not synced: the stale banner');
	t.equal(await count(page, '#picture .node'), 3, 'the picture still draws the nodes');
	t.equal(await count(page, '#picture line.link'), 0, 'and no session line where no session');
}

async function keyboard(page) {
	await page.click('#tab-overview');
	// as a person would: click the heading (where Tab starts from), then Tab
	await page.click('.brand h1');
	let id = '';
	for (let i = 0; i < 12 && !/^tab-/.test(id || ''); i++) {
		await page.keyboard.press('Tab');
		id = await activeId(page);
	}
	t.equal(id, 'tab-overview', 'Tab reaches the selected tab');
	const visible = await page.evaluate(() => {
		const e = document.activeElement;
		const s = getComputedStyle(e);
		return e.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
	});
	t.ok(visible, 'the focus is visible');
	await page.keyboard.press('ArrowRight');
	t.equal(await activeId(page), 'tab-nodes', 'ArrowRight moves to the next tab');
	await page.keyboard.press('Enter');
	t.ok(await page.$eval('#tab-nodes', (e) => e.getAttribute('aria-selected') === 'true') && await page.$eval('#panel-nodes', (e) => !e.hidden), 'Enter activates it');
	await page.keyboard.press('ArrowRight');
	await page.keyboard.press(' ');
	t.ok(await page.$eval('#panel-volumes', (e) => !e.hidden) && (await activeId(page)) === 'tab-volumes', 'ArrowRight then Space activates Volumes');
	await page.keyboard.press('ArrowLeft');
	t.equal(await activeId(page), 'tab-nodes', 'ArrowLeft moves back');
	await page.keyboard.press('End');
	t.equal(await activeId(page), 'tab-feed', 'End: the last tab');
	await page.keyboard.press('Home');
	t.equal(await activeId(page), 'tab-overview', 'Home: the first tab');
	await page.keyboard.press('End');
	await page.keyboard.press('ArrowRight');
	t.equal(await activeId(page), 'tab-overview', 'arrows wrap around');
	t.equal(await page.$$eval('[role=tab]', (ts) => ts.filter((x) => x.tabIndex === 0).length), 1, 'one tab in the Tab order (roving tabindex)');
	// into the volumes panel and its search box, and on out of it: no trap
	await page.click('#tab-volumes');
	const seen = [];
	for (let i = 0; i < 12; i++) {
		await page.keyboard.press('Tab');
		seen.push(await activeId(page));
		if (seen[seen.length - 1] === 'vol-marker') break;
	}
	t.ok(seen.includes('panel-volumes') && seen.includes('vol-q'), 'Tab goes into the panel and its search box', seen);
	t.ok(seen.includes('vol-marker'), 'and on through the filters (no trap)', seen);
	const label = await page.$eval('#vol-q', (e) => (e.labels && e.labels[0] ? e.labels[0].textContent.trim() : ''));
	t.equal(label, 'Search volumes', 'the search box is labelled');
	const unlabelled = await page.$$eval('input, select', (xs) => xs.filter((x) => !(x.labels && x.labels.length) && !x.getAttribute('aria-label')).map((x) => x.id));
	t.equal(unlabelled.length, 0, `every input is labelled ${JSON.stringify(unlabelled)}`);
}

async function main() {
	if (!base) throw new Error('--base URL is needed');
	const b = await launch(which);
	let code = 1;
	try {
		const page = await b.browser.newPage();
		const w = watch(page);
		const start = Date.now();
		await page.goto(base, { waitUntil: 'load', timeout: 30000 });
		const ok = await pageUntil(page, () => document.documentElement.dataset.rendered === 'true', undefined, 15000);
		t.ok(ok, `the page renders (${Date.now() - start} ms)`);
		t.equal(await page.evaluate(() => performance.getEntriesByName('zks-rendered').length), 1, 'zks-rendered marked once');
		await t.step('sections', () => sections(page));
		await t.step('hostile names', () => hostile(page));
		await t.step('live change', () => liveChange(page));
		await t.step('keyboard', () => keyboard(page));
		await t.step('stale state', () => staleState(page));
		await t.step('dropped stream', () => dropped(page, w));
		await t.step('10,000 volumes', () => bigVolumes(page));
		const shot = process.env.ZKS_SCREENSHOT;
		if (shot) {
			await page.click('#tab-overview');
			const file = shot.includes('{browser}') ? shot.replace('{browser}', which) : shot;
			if (shot.includes('{browser}') || which === 'chromium') {
				await page.screenshot({ path: file });
				console.log(`# ${which}: screenshot ${file}`);
				if (which === 'chromium') { // the dark scheme too
					await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
					const dark = file.replace(/(\.png)?$/, '-dark.png');
					await page.screenshot({ path: dark });
					console.log(`# ${which}: screenshot ${dark}`);
				}
			}
		}
		await t.step('sparse document', () => sparse(page));
		const problems = w.problems();
		t.ok(problems.length === 0, 'no console error, page error or failed request', problems.slice(0, 5));
	} catch (e) {
		t.ok(false, 'the run', e && e.stack ? e.stack : String(e));
	} finally {
		code = t.summary();
		await b.close();
	}
	process.exit(code);
}

main().catch((e) => {
	console.log(`FAIL - ${which}: ${e && e.stack ? e.stack : e}`);
	console.log(`${which}: ${t.passed} passed, ${t.failed + 1} failed`);
	process.exit(1);
});
