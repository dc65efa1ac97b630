// Browser test runner for the dashboard: launches Debian's chromium (CDP) or firefox-esr
// (WebDriver BiDi) headless with a throw-away profile through puppeteer-core, watches a page
// for console errors, page errors and failed requests, and counts assertions, printing `ok` /
// `FAIL` lines and the closing `N passed, N failed`.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

export const EXECUTABLES = {
	chromium: process.env.CHROMIUM || '/usr/bin/chromium',
	firefox: process.env.FIREFOX || '/usr/bin/firefox-esr',
};

// Launch one browser headless; close() ends it and removes its profile.
export async function launch(name, { width = 1400, height = 1000 } = {}) {
	const exe = EXECUTABLES[name];
	if (!exe) throw new Error(`unknown browser ${name}: chromium or firefox`);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), `zks-${name}-`));
	const opts = {
		executablePath: exe,
		headless: true,
		userDataDir: dir,
		defaultViewport: { width, height },
		protocolTimeout: 60000,
		timeout: 60000,
	};
	if (name === 'chromium') {
		opts.browser = 'chrome';
		opts.args = ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run',
			'--no-default-browser-check', '--disable-extensions', '--disable-background-networking',
			'--disable-component-update', '--disable-sync', '--metrics-recording-only'];
	} else {
		opts.browser = 'firefox';
		opts.extraPrefsFirefox = {
			'browser.shell.checkDefaultBrowser': false,
			'app.update.enabled': false,
			'network.captive-portal-service.enabled': false,
			'network.connectivity-service.enabled': false,
			'browser.safebrowsing.update.enabled': false,
			'extensions.update.enabled': false,
			'datareporting.policy.dataSubmissionEnabled': false,
			'toolkit.telemetry.enabled': false,
		};
	}
	const browser = await puppeteer.launch(opts);
	const close = async () => {
		const proc = browser.process();
		try {
			await Promise.race([browser.close(), new Promise((res) => setTimeout(res, 10000))]);
		} catch (e) { /* going anyway */ }
		if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
		fs.rmSync(dir, { recursive: true, force: true });
	};
	return { browser, close, name };
}

// Everything a page complains about. `allow(re)` lets a test expect failures of matching
// URLs for a while (an event stream it drops on purpose); `problems()` is the rest.
export function watch(page) {
	const w = { console: [], errors: [], failed: [], allowed: [] };
	const allowed = (url) => w.allowed.some((re) => re.test(url));
	page.on('console', (m) => {
		if (m.type() !== 'error' && m.type() !== 'assert') return;
		const loc = m.location && m.location();
		// the browser's own "Failed to load resource" line for an allowed failure
		if (loc && loc.url && allowed(loc.url) && /Failed to load resource/.test(m.text())) return;
		w.console.push(m.text());
	});
	page.on('pageerror', (e) => w.errors.push(String(e && e.message ? e.message : e)));
	page.on('requestfailed', (r) => {
		if (process.env.ZKS_DEBUG) console.log(`# requestfailed ${new Date().toISOString()} ${r.url()} allowed=${allowed(r.url())}`);
		if (!allowed(r.url())) w.failed.push(`${r.url()}: ${(r.failure() && r.failure().errorText) || 'failed'}`);
	});
	page.on('response', (r) => {
		if (r.status() >= 400 && !allowed(r.url())) w.failed.push(`${r.url()}: HTTP ${r.status()}`);
	});
	w.allow = (re) => w.allowed.push(re);
	w.disallow = (re) => { w.allowed = w.allowed.filter((x) => x !== re); };
	w.problems = () => [...w.console.map((x) => `console: ${x}`), ...w.errors.map((x) => `page error: ${x}`),
		...w.failed.map((x) => `request: ${x}`)];
	return w;
}

export class Runner {
	constructor(label) {
		this.label = label;
		this.passed = 0;
		this.failed = 0;
	}

	ok(cond, name, detail) {
		if (cond) {
			this.passed++;
			console.log(`ok - ${this.label}: ${name}`);
		} else {
			this.failed++;
			console.log(`FAIL - ${this.label}: ${name}${detail !== undefined ? ` (${typeof detail === 'string' ? detail : JSON.stringify(detail)})` : ''}`);
		}
		return !!cond;
	}

	equal(got, want, name) {
		return this.ok(got === want, name, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
	}

	// Runs one step; an exception in it is one failure, and the run goes on.
	async step(name, fn) {
		try {
			await fn();
		} catch (e) {
			this.ok(false, `${name} threw`, e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : String(e));
		}
	}

	summary() {
		console.log(`${this.label}: ${this.passed} passed, ${this.failed} failed`);
		return this.failed === 0 && this.passed > 0 ? 0 : 1;
	}
}

// Polls fn() (async, in node) until it returns a truthy value or the time is up: returns the
// value, or undefined on timeout. Bounded in time; no fixed sleeps in the tests.
export async function until(fn, { timeout = 5000, every = 25 } = {}) {
	const end = Date.now() + timeout;
	for (;;) {
		let v;
		try {
			v = await fn();
		} catch (e) {
			v = undefined;
		}
		if (v) return v;
		if (Date.now() >= end) return undefined;
		await new Promise((res) => setTimeout(res, every));
	}
}

export async function post(base, pathAndQuery) {
	const r = await fetch(new URL(pathAndQuery, base), { method: 'POST' });
	if (!r.ok) throw new Error(`POST ${pathAndQuery}: HTTP ${r.status}`);
	return r.json();
}

export async function get(base, p) {
	const r = await fetch(new URL(p, base));
	if (!r.ok) throw new Error(`GET ${p}: HTTP ${r.status}`);
	return r.json();
}

export function arg(name, dflt) {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
