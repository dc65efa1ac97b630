// Drives the dashboard in a real headless browser for a shell test against a real cluster:
// opens the page, then answers one line per command read on stdin, so a bash test (coproc)
// can act on the cluster and ask what the page shows. Every wait is bounded.
//
//   node page_driver.mjs --url http://127.0.0.1:PORT/[?token=T] [--browser chromium|firefox]
//
// Commands (one a line; words split on spaces, 'quoted' or "quoted" words may hold spaces;
// REGEX is a JavaScript regular expression):
//   mark                          remember now (answers give since_mark_ms)
//   search TEXT                   types TEXT into the volume search box (empty: clears it)
//   tab NAME                      overview | nodes | volumes | networks | zookeeper | feed
//   wait SELECTOR REGEX MS        some element matching SELECTOR has text matching REGEX
//   wait-gone SELECTOR REGEX MS   no element matching SELECTOR has text matching REGEX
//   wait-volume NAME HOLDER MS    searches NAME; its row names HOLDER among the holders
//   wait-node ID STATE MS         the Nodes row of ID says STATE ("cut_off" for "cut off")
//   stale MS | live MS            the stale banner shown | hidden
//   text SELECTOR                 the first match's text (answer: ok <text>)
//   shot PATH                     a screenshot of the viewport
//   problems                      ok if no console error, page error or failed request yet
//   endpoints NETWORK             the network card's endpoints by node (answer: ok node1:a,b node2:c,
//                                 nodes and names sorted; an unnamed endpoint as "-"; none: "none")
//   same-page                     ok if the page was not reloaded since ready (a marker set then
//                                 in the page's window is still there)
//   quit
// Answers: `ok ms=N since_mark_ms=N at_ms=N [text]` (at_ms: the wall clock, ms since the epoch)
// or `FAIL reason`, one line each. The driver
// prints `ready` once the page rendered, and exits when stdin closes or on quit.

import readline from 'node:readline';
import { launch, watch, until, arg } from './lib.mjs';

const url = arg('url');
const which = arg('browser', 'chromium');
let mark = Date.now();

async function main() {
	if (!url) throw new Error('--url is needed');
	const b = await launch(which);
	const page = await b.browser.newPage();
	const w = watch(page);
	const done = async (code) => { await b.close(); process.exit(code); };
	process.on('SIGTERM', () => done(143));
	try {
		await page.goto(url, { waitUntil: 'load', timeout: 30000 });
		const ok = await until(() => page.evaluate(() => document.documentElement.dataset.rendered === 'true'), { timeout: 20000 });
		if (!ok) throw new Error('the page did not render in 20 s');
	} catch (e) {
		console.log(`FAIL ${e.message}`);
		return done(1);
	}
	await page.evaluate(() => { window.__zksDriverLoaded = true; });
	console.log('ready');
	const rl = readline.createInterface({ input: process.stdin, terminal: false });
	for await (const line of rl) {
		const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
		if (!words[0]) continue;
		if (words[0] === 'quit') break;
		const t0 = Date.now();
		let r;
		try {
			r = await run(page, w, words);
		} catch (e) {
			r = { fail: String(e && e.message ? e.message : e).split('\n')[0] };
		}
		const now = Date.now();
		console.log(r.fail ? `FAIL ${r.fail}` : `ok ms=${now - t0} since_mark_ms=${now - mark} at_ms=${now}${r.text !== undefined ? ` ${r.text}` : ''}`);
	}
	return done(0);
}

function textMatch(page, sel, re, present) {
	return page.evaluate((s, src, want) => {
		const rx = new RegExp(src);
		const hit = [...document.querySelectorAll(s)].some((e) => rx.test(e.textContent.replace(/\s+/g, ' ')));
		return hit === want;
	}, sel, re, present);
}

async function waitOr(fn, ms, what) {
	const v = await until(fn, { timeout: Number(ms) || 1000, every: 20 });
	return v ? {} : { fail: `not within ${ms} ms: ${what}` };
}

async function run(page, w, [cmd, ...a]) {
	switch (cmd) {
	case 'mark':
		mark = Date.now();
		return {};
	case 'search':
		await page.evaluate((q) => {
			const e = document.getElementById('vol-q');
			e.value = q;
			e.dispatchEvent(new Event('input', { bubbles: true }));
		}, a.join(' '));
		return {};
	case 'tab':
		await page.click(`#tab-${a[0]}`);
		return {};
	case 'wait':
		return waitOr(() => textMatch(page, a[0], a[1], true), a[2], `${a[0]} ~ /${a[1]}/`);
	case 'wait-gone':
		return waitOr(() => textMatch(page, a[0], a[1], false), a[2], `no ${a[0]} ~ /${a[1]}/`);
	case 'wait-volume':
		await run(page, w, ['search', a[0]]);
		return waitOr(() => page.evaluate((name, holder) => {
			const row = [...document.querySelectorAll('#vol-body tr[data-volume]')].find((r) => r.dataset.volume === name);
			return !!row && [...row.querySelectorAll('.holder strong')].some((s) => s.textContent === holder);
		}, a[0], a[1]), a[2], `volume ${a[0]} held on ${a[1]}`);
	case 'wait-node':
		return waitOr(() => page.evaluate((id, state) => {
			const row = [...document.querySelectorAll('#nodes-body tr[data-node]')].find((r) => r.dataset.node === id);
			return !!row && row.querySelector('.badge').textContent === state;
		}, a[0], a[1].replace(/_/g, ' ')), a[2], `node ${a[0]} ${a[1]}`);
	case 'stale':
	case 'live':
		return waitOr(() => page.evaluate((want) => {
			const box = document.getElementById('stale');
			return (!box.hidden) === want;
		}, cmd === 'stale'), a[0], cmd === 'stale' ? 'the stale banner' : 'no stale banner');
	case 'text':
		return { text: (await page.$eval(a[0], (e) => e.textContent.replace(/\s+/g, ' ').trim())) };
	case 'shot':
		await page.screenshot({ path: a[0] });
		return {};
	case 'endpoints':
		return {
			text: await page.evaluate((name) => {
				const card = [...document.querySelectorAll('#networks .card')].find((c) => c.dataset.network === name);
				if (!card) return 'no-card';
				const by = {};
				let node = '';
				for (const tr of card.querySelectorAll('tbody tr')) {
					const th = tr.querySelector('th');
					if (th) node = th.textContent.trim();
					const name = tr.querySelector('td').textContent.trim();
					(by[node] = by[node] || []).push(name === 'unnamed' ? '-' : name);
				}
				const nodes = Object.keys(by).sort();
				return nodes.length ? nodes.map((n) => `${n}:${by[n].sort().join(',')}`).join(' ') : 'none';
			}, a[0]),
		};
	case 'same-page':
		return (await page.evaluate(() => window.__zksDriverLoaded === true)) ? {} : { fail: 'the page was reloaded' };
	case 'problems': {
		const p = w.problems();
		return p.length ? { fail: p.slice(0, 5).join(' | ') } : {};
	}
	default:
		return { fail: `unknown command ${cmd}` };
	}
}

main().catch((e) => { console.log(`FAIL ${e && e.message ? e.message : e}`); process.exit(1); });
