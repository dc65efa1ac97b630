// Benchmark: the dashboard's first render in headless Chromium, from navigation start to the
// page's performance mark `zks-rendered`, at 10,000 volumes and 50 nodes (the fixture server's
// generated document), median of 5 cold loads (a fresh browser context each). For `make bench`.
//
//   node bench_render.mjs [--base URL] [--browser chromium] [--runs 5] [--nodes 50] [--volumes 10000] [--json]
// --json: one JSON object instead of the sentence (bench/run.sh's dashboard section records it).
// Without --base it starts fixture_server.py on a free loopback port and stops it after.

import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, until, arg } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const which = arg('browser', 'chromium');
const runs = Number(arg('runs', '5'));
const nodes = Number(arg('nodes', '50'));
const volumes = Number(arg('volumes', '10000'));
const json = process.argv.includes('--json');

function freePort() {
	return new Promise((res, rej) => {
		const s = net.createServer();
		s.on('error', rej);
		s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
	});
}

async function startFixture() {
	const port = await freePort();
	const proc = spawn('/usr/bin/python3', [path.join(here, 'fixture_server.py'), '--port', String(port),
		'--nodes', String(nodes), '--volumes', String(volumes), '--networks', '12'], { stdio: ['ignore', 'ignore', 'inherit'] });
	const base = `http://127.0.0.1:${port}/`;
	const up = await until(async () => (await fetch(new URL('/api/v1/cluster', base))).ok, { timeout: 20000, every: 100 });
	if (!up) { proc.kill(); throw new Error('the fixture server did not start'); }
	return { base, stop: () => proc.kill() };
}

async function once(browser, base) {
	const ctx = await browser.createBrowserContext();
	try {
		const page = await ctx.newPage();
		await page.goto(base, { waitUntil: 'load', timeout: 60000 });
		await page.waitForFunction(() => performance.getEntriesByName('zks-rendered').length > 0, { timeout: 60000, polling: 50 });
		return await page.evaluate(() => {
			const mark = performance.getEntriesByName('zks-rendered')[0].startTime;
			const at = (name) => { const e = performance.getEntriesByName(name)[0]; return e ? e.startTime : null; };
			const docs = performance.getEntriesByType('resource').filter((r) => r.name.endsWith('/api/v1/cluster'));
			const doc = docs[0];
			return { fetches: docs.length, ms: mark, start: at('zks-start'), parsed: at('zks-document'), docStart: doc ? doc.startTime : null, docEnd: doc ? doc.responseEnd : null, bytes: doc ? doc.transferSize || doc.encodedBodySize : null };
		});
	} finally {
		await ctx.close();
	}
}

async function main() {
	let fx = null;
	let base = arg('base');
	if (!base) { fx = await startFixture(); base = fx.base; }
	const b = await launch(which);
	try {
		await once(b.browser, base); // warm-up: the browser's own start, not the page's
		const all = [];
		for (let i = 0; i < runs; i++) all.push(await once(b.browser, base));
		const extra = all.filter((r) => r.fetches !== 1);
		if (extra.length) console.log(`bench_render: the document fetched ${extra.map((r) => r.fetches).join(', ')} times in a load`);
		const ms = all.map((r) => r.ms).sort((x, y) => x - y);
		const med = ms[Math.floor(ms.length / 2)];
		const mid = (k) => { const v = all.map((r) => r[k]).filter((x) => x !== null).sort((x, y) => x - y); return v.length ? v[Math.floor(v.length / 2)].toFixed(0) : '?'; };
		if (json) {
			const num = (k) => { const v = mid(k); return v === '?' ? null : Number(v); };
			console.log(JSON.stringify({ label: `render-${volumes}`, browser: which, volumes, nodes, runs: ms.map((x) => Math.round(x)),
				median_ms: Math.round(med), doc_asked_ms: num('docStart'), doc_received_ms: num('docEnd'), script_ms: num('start'),
				parsed_ms: num('parsed'), doc_bytes: all[0].bytes || null, fetches: all.map((r) => r.fetches) }));
			return;
		}
		console.log(`first render, ${volumes.toLocaleString('en')} volumes and ${nodes} nodes, headless ${which}: median ${med.toFixed(0)} ms ` +
			`from navigation start to zks-rendered (runs: ${ms.map((x) => x.toFixed(0)).join(', ')} ms; ` +
			`medians: the document asked at ${mid('docStart')} ms, received at ${mid('docEnd')} ms (${all[0].bytes || '?'} bytes), ` +
			`app.js running at ${mid('start')} ms, the document parsed at ${mid('parsed')} ms)`);
	} finally {
		await b.close();
		if (fx) fx.stop();
	}
}

main().catch((e) => { console.error(`bench_render: ${e && e.stack ? e.stack : e}`); process.exit(1); });
