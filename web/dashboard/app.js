// zkswarm dashboard: renders the cluster document (GET /api/v1/cluster) and keeps it live from
// the event stream (GET /api/v1/events). Plain ES2020, no framework, same origin only. Every
// name comes from users: all of it goes in through textContent and DOM APIs, never markup.
//
// The stream is read with fetch() rather than EventSource: the server's keep-alive is an SSE
// comment (": ping"), which EventSource never shows to the page, and the page must tell a
// quiet stream from a dead one (12 s without a byte = stale, reconnect). fetch also lets the
// page say why a connection was refused (401, 503) instead of giving up silently.

performance.mark('zks-start'); // for bench_render.mjs: the script runs
const SVGNS = 'http://www.w3.org/2000/svg';
const WATCHDOG_MS = 12000;      // no byte on the stream for this long: stale, reconnect
const RETRY_MS_DEFAULT = 1000;  // until the server's `retry:` says otherwise
const RETRY_MS_MAX = 10000;
const VOLUME_PAGE = 100;        // volume rows added per "show more"
const FEED_MAX = 200;           // items the page keeps (the server's ring holds 200)
const RECENT_MAX = 8;           // items on the overview
const STATES = ['connected', 'cut off', 'expired', 'reaped'];

const $ = (id) => document.getElementById(id);

// ---------- DOM helpers (text only) ----------

function el(tag, props, ...kids) {
	const e = document.createElement(tag);
	setProps(e, props);
	for (const k of kids) append(e, k);
	return e;
}

function sv(tag, props, ...kids) {
	const e = document.createElementNS(SVGNS, tag);
	setProps(e, props);
	for (const k of kids) append(e, k);
	return e;
}

function setProps(e, props) {
	if (!props) return;
	for (const [k, v] of Object.entries(props)) {
		if (v === undefined || v === null || v === false) continue;
		if (k === 'text') e.textContent = String(v);
		else if (k === 'class') e.setAttribute('class', v);
		else e.setAttribute(k, v === true ? '' : String(v));
	}
}

function append(e, k) {
	if (k === undefined || k === null || k === false) return;
	if (Array.isArray(k)) { for (const x of k) append(e, x); return; }
	e.append(k instanceof Node ? k : document.createTextNode(String(k)));
}

function clear(e) {
	while (e.firstChild) e.firstChild.remove();
}

function fill(e, ...kids) {
	clear(e);
	for (const k of kids) append(e, k);
}

// ---------- formatting ----------

function fmtAgo(ms) {
	if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'never';
	if (ms < 1000) return 'just now';
	const s = ms / 1000;
	if (s < 60) return `${Math.round(s)} s ago`;
	if (s < 3600) return `${Math.round(s / 60)} min ago`;
	if (s < 86400) return `${Math.round(s / 3600)} h ago`;
	return `${Math.round(s / 86400)} d ago`;
}

function fmtMs(ms) {
	if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
	if (ms < 10) return `${ms.toFixed(1)} ms`;
	if (ms < 1000) return `${Math.round(ms)} ms`;
	return `${(ms / 1000).toFixed(1)} s`;
}

// One formatter each: toLocaleString() builds a new one per call, too slow for 10,000 rows.
const TIME_FMT = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const DATE_FMT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateCache = new Map();

function fmtTime(iso) {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return String(iso || '');
	return TIME_FMT.format(d);
}

function fmtDateTime(iso) {
	let s = dateCache.get(iso);
	if (s !== undefined) return s;
	const d = new Date(iso);
	s = Number.isNaN(d.getTime()) ? String(iso || '–') : DATE_FMT.format(d);
	if (dateCache.size > 5000) dateCache.clear();
	dateCache.set(iso, s);
	return s;
}

function timeEl(iso, text) {
	return el('time', { datetime: iso, title: iso }, text);
}

function plural(n, one, many) {
	return `${n.toLocaleString()} ${n === 1 ? one : many || one + 's'}`;
}

function stateClass(s) {
	return 'st-' + String(s || 'unknown').replace(/[^a-z]+/gi, '-');
}

function badge(text, cls) {
	return el('span', { class: `badge ${cls || ''}` }, text);
}

// ---------- state ----------

const app = {
	doc: null,
	fetchedAt: 0,          // performance.now() when the document arrived
	feed: [],              // newest first
	feedIds: new Set(),
	streamLost: null,      // why the stream is down (string) or null
	serverStale: null,     // {zookeeper} from a `state` event, or null
	staleSince: null,      // Date when the page became stale
	staleKey: '',          // what the banner says now
	loadError: null,
	retryMs: RETRY_MS_DEFAULT,
	rendered: false,
	wantSeq: -1,           // the newest view the events announced
	forced: 0,             // asks for the document that no seq tells apart
	vols: [],              // the document's volumes with search keys
	volLimit: VOLUME_PAGE,
};

// ---------- the document ----------

let fetching = false;
let fetchAgain = false;

// Fetches the document; while one fetch is under way, further asks coalesce into one more
// fetch after it, made only if still needed: `seq` = the view the events announced (the answer
// under way may already be that one); no seq = needed whatever (the first load, a state change).
async function refresh(seq) {
	if (typeof seq === 'number') app.wantSeq = Math.max(app.wantSeq, seq);
	else app.forced++;
	if (fetching) { fetchAgain = true; return; }
	fetching = true;
	const forced = app.forced;
	try {
		// the first ask takes the answer index.html preloaded (it must match that request:
		// no extra header, default cache mode); the later ones bypass every cache
		const r = await fetch('/api/v1/cluster', app.doc || app.loadError ? { cache: 'no-store', credentials: 'same-origin' } : { credentials: 'same-origin' });
		if (!r.ok) throw new Error(await errorText(r));
		const doc = await r.json();
		if (!app.doc) performance.mark('zks-document'); // the first document parsed
		if (!app.doc || typeof doc.seq !== 'number' || doc.seq >= app.doc.seq || doc.seq < app.doc.seq - 1000) {
			app.doc = doc;
			app.fetchedAt = performance.now();
			app.loadError = null;
			renderAll();
		}
	} catch (e) {
		app.loadError = `the cluster document could not be loaded (${e.message})`;
		renderStale();
	} finally {
		fetching = false;
		if (fetchAgain) {
			fetchAgain = false;
			if (!app.doc || app.forced !== forced || app.wantSeq > app.doc.seq) refresh(app.wantSeq);
		}
	}
}

async function errorText(r) {
	let msg = `HTTP ${r.status}`;
	try {
		const j = await r.json();
		if (j && typeof j.error === 'string') msg += `: ${j.error}`;
	} catch (e) { /* not JSON */ }
	return msg;
}

// ---------- the event stream ----------

function startStream() {
	streamLoop();
}

async function streamLoop() {
	for (;;) {
		await streamOnce();
		await new Promise((res) => setTimeout(res, app.retryMs));
	}
}

async function streamOnce() {
	const ctl = new AbortController();
	let dog = 0;
	const kick = () => {
		clearTimeout(dog);
		dog = setTimeout(() => {
			setLost(`no message from the server for ${WATCHDOG_MS / 1000} s`);
			ctl.abort();
		}, WATCHDOG_MS);
	};
	kick();
	try {
		const r = await fetch('/api/v1/events', { signal: ctl.signal, cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'text/event-stream' } });
		if (!r.ok) throw new Error(await errorText(r));
		const parser = sseParser(dispatch);
		const reader = r.body.getReader();
		const dec = new TextDecoder();
		for (;;) {
			const { value, done } = await reader.read();
			if (done) break;
			kick();
			parser(dec.decode(value, { stream: true }));
		}
		setLost('the server closed the event stream');
	} catch (e) {
		if (!ctl.signal.aborted) {
			// refused or unreachable: back off (1 s, 2 s, 4 s ... 10 s) until a hello again
			app.retryMs = Math.min(RETRY_MS_MAX, app.retryMs * 2);
			setLost(`the event stream failed (${e.message})`);
		}
	} finally {
		clearTimeout(dog); // no abort() here: a stream that ended by itself is not cancelled
	}
}

// An SSE parser (the WHATWG event-stream format): feed it text, it calls on(type, data, id).
function sseParser(on) {
	let buf = '';
	let type = '';
	let data = [];
	let id = null;
	return (chunk) => {
		buf += chunk;
		for (;;) {
			const m = /\r\n|\r|\n/.exec(buf);
			if (!m) break;
			if (m[0] === '\r' && m.index === buf.length - 1) break; // may be half of \r\n
			const line = buf.slice(0, m.index);
			buf = buf.slice(m.index + m[0].length);
			if (line === '') {
				if (data.length) on(type || 'message', data.join('\n'), id);
				type = '';
				data = [];
				continue;
			}
			if (line[0] === ':') continue;
			const c = line.indexOf(':');
			const field = c < 0 ? line : line.slice(0, c);
			let val = c < 0 ? '' : line.slice(c + 1);
			if (val[0] === ' ') val = val.slice(1);
			if (field === 'event') type = val;
			else if (field === 'data') data.push(val);
			else if (field === 'id') id = val;
			else if (field === 'retry' && /^\d+$/.test(val)) app.retryMs = Math.min(RETRY_MS_MAX, Math.max(100, Number(val)));
		}
	};
}

function dispatch(type, data) {
	let msg;
	try {
		msg = JSON.parse(data);
	} catch (e) {
		return;
	}
	if (type === 'hello') onHello(msg);
	else if (type === 'change') onChange(msg);
	else if (type === 'state') onState(msg);
}

function onHello(msg) {
	app.retryMs = Math.max(100, Math.min(app.retryMs, RETRY_MS_DEFAULT));
	app.streamLost = null;
	app.serverStale = msg.stale ? { zookeeper: msg.zookeeper || null } : null;
	app.feed = [];
	app.feedIds.clear();
	addFeed(Array.isArray(msg.feed) ? msg.feed : [], false);
	if (!app.doc || msg.seq !== app.doc.seq) refresh(msg.seq);
	if (app.doc) renderGlance(app.doc); // the rest waits for the document, if one is coming
	renderStale();
	renderFeed();
}

function onChange(msg) {
	addFeed(Array.isArray(msg.items) ? msg.items : [], true);
	refresh(typeof msg.seq === 'number' ? msg.seq : undefined);
	renderFeed();
}

function onState(msg) {
	app.serverStale = msg.stale ? { zookeeper: msg.zookeeper || null } : null;
	renderStale();
	refresh();
}

function setLost(why) {
	app.streamLost = why; // the latest reason; the banner keeps its first "since"
	renderStale();
}

function addFeed(items, announce) {
	const fresh = [];
	for (const it of items) {
		if (!it || app.feedIds.has(it.id)) continue;
		app.feedIds.add(it.id);
		fresh.push(it);
	}
	if (!fresh.length) return;
	app.feed = fresh.concat(app.feed);
	app.feed.sort((a, b) => (b.id || 0) - (a.id || 0));
	while (app.feed.length > FEED_MAX) app.feedIds.delete(app.feed.pop().id);
	if (announce) announceItems(fresh);
}

function announceItems(items) {
	const box = $('announce');
	const text = items.slice(0, 3).map((it) => it.text || it.kind).join('; ') +
		(items.length > 3 ? `; and ${items.length - 3} more changes` : '');
	box.append(el('p', null, text));
	while (box.childElementCount > 5) box.firstElementChild.remove();
}

// ---------- rendering ----------

function renderAll() {
	const d = app.doc;
	if (!d) return;
	indexVolumes(d);
	learnEndpointNames(d);
	renderGlance(d);
	renderStale();
	renderPicture(d);
	renderNodes(d);
	renderVolumeFilters(d);
	renderVolumes();
	renderNetworks(d);
	renderZk(d);
	renderFeed();
	$('f-doc').textContent = `view ${d.seq} generated ${fmtDateTime(d.generated_at)}`;
	if (!app.rendered) {
		app.rendered = true;
		performance.mark('zks-rendered');
		document.documentElement.dataset.rendered = 'true';
	}
	document.documentElement.dataset.seq = String(d.seq);
}

// n2 before n10: nodes are named by people, in numbers more often than not
const NAME_ORDER = new Intl.Collator(undefined, { numeric: true });

function sortedNodes(d) {
	return (d.nodes || []).slice().sort((a, b) => NAME_ORDER.compare(String(a.id), String(b.id)));
}

function nodesByState(d) {
	const by = {};
	for (const n of d.nodes || []) by[n.state] = (by[n.state] || 0) + 1;
	return by;
}

function renderGlance(d) {
	const by = nodesByState(d);
	const nodes = (d.nodes || []).length;
	const chips = STATES.filter((s) => by[s]).map((s) => badge(`${by[s]} ${s}`, stateClass(s)));
	fill($('g-nodes'), el('span', { class: 'big' }, nodes.toLocaleString()), ' ', chips);
	const vols = d.volumes || [];
	let stale = 0, conflict = 0;
	for (const v of vols) { if (v.stale) stale++; if (v.conflict) conflict++; }
	fill($('g-volumes'), el('span', { class: 'big' }, vols.length.toLocaleString()), ' ',
		stale ? badge(`${stale} stale`, 'warn') : null, ' ', conflict ? badge(`${conflict} conflict`, 'bad') : null);
	const eps = (d.networks || []).reduce((a, n) => a + (n.endpoints || []).length, 0);
	fill($('g-networks'), el('span', { class: 'big' }, (d.networks || []).length.toLocaleString()), ' ',
		el('span', { class: 'muted' }, plural(eps, 'endpoint')));
	const zk = (d.self && d.self.zookeeper) || {};
	const zs = (app.serverStale && app.serverStale.zookeeper) || zk.state || 'unknown';
	fill($('g-zk'), badge(zs, zs === 'connected' ? 'st-connected' : 'st-cut-off'), ' ',
		el('span', { class: 'muted' }, zk.latency_ms !== null && zk.latency_ms !== undefined ? fmtMs(zk.latency_ms) : ''));
	const self = d.self || {};
	fill($('g-self'), el('span', { class: 'big' }, self.node || '?'), ' ', el('span', { class: 'muted' }, self.version ? `v${self.version}` : ''));
	renderUpdated();
	$('c-nodes').textContent = nodes.toLocaleString();
	$('c-volumes').textContent = vols.length.toLocaleString();
	$('c-networks').textContent = (d.networks || []).length.toLocaleString();
}

function renderUpdated() {
	const d = app.doc;
	if (!d) return;
	const age = performance.now() - app.fetchedAt;
	fill($('g-updated'), timeEl(d.generated_at, fmtTime(d.generated_at)), ' ', el('span', { class: 'muted' }, `(${fmtAgo(age)})`));
}

function staleReason() {
	if (app.streamLost) return { title: 'Not live', text: `${app.streamLost}; reconnecting by itself. What you see may be out of date.` };
	if (app.serverStale) {
		const zs = app.serverStale.zookeeper || (app.doc && app.doc.self && app.doc.self.zookeeper && app.doc.self.zookeeper.state) || 'not connected';
		return { title: 'Stale view', text: `This node is not in touch with ZooKeeper (${zs}): its view of the cluster may be out of date.` };
	}
	const zk = (app.doc && app.doc.self && app.doc.self.zookeeper) || {};
	// the server's word, and the same rule read from its fields (connected and synced)
	if (app.doc && app.doc.self && (app.doc.self.stale || zk.synced === false || (zk.state && zk.state !== 'connected'))) {
		return { title: 'Stale view', text: `This node's mirror is not current (ZooKeeper ${zk.state || 'unknown'}${zk.synced === false ? ', not synced' : ''}).` };
	}
	if (app.loadError) return { title: 'Not loaded', text: `${app.loadError}; retrying with the next event.` };
	return null;
}

// The banner is an alert: its words change only when the reason does (each change is
// announced); the running age beside it is hidden from assistive technology.
function renderStale() {
	const why = staleReason();
	const box = $('stale');
	if (!why) {
		app.staleSince = null;
		app.staleKey = '';
		box.hidden = true;
		document.documentElement.dataset.stale = 'false';
		return;
	}
	if (!app.staleSince) app.staleSince = new Date();
	const since = app.staleSince.toISOString();
	const key = `${why.title}|${why.text}|${since}`;
	if (key !== app.staleKey) {
		app.staleKey = key;
		$('stale-title').textContent = why.title;
		fill($('stale-text'), `${why.text} Since `, timeEl(since, fmtTime(since)), '.');
	}
	$('stale-age').textContent = `(${fmtAgo(Date.now() - app.staleSince.getTime())})`;
	box.hidden = false;
	document.documentElement.dataset.stale = 'true';
}

// The cluster picture: the ensemble in the middle, the nodes on one ring (two, staggered,
// beyond 20 nodes), a line per node with a session, holdings as small counts by each node.
function renderPicture(d) {
	const svg = $('picture');
	const nodes = sortedNodes(d);
	const ens = d.ensemble || [];
	const n = nodes.length;
	const two = n > 20;
	const r0 = Math.max(two ? 200 : 150, (n * (two ? 34 : 52)) / (2 * Math.PI));
	const r1 = two ? r0 + 55 : r0;
	const pad = two ? 170 : 130;
	const size = Math.ceil(2 * (r1 + pad));
	const c = size / 2;
	svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
	const keep = [$('picture-title'), $('picture-desc')];
	clear(svg);
	for (const k of keep) svg.append(k);
	const by = nodesByState(d);
	const leader = ens.find((s) => s.mode === 'leader');
	$('picture-desc').textContent = `${plural(n, 'node')}: ${STATES.filter((s) => by[s]).map((s) => `${by[s]} ${s}`).join(', ') || 'none'}. ` +
		`ZooKeeper: ${plural(ens.length, 'server')}${leader ? `, leader ${leader.server}` : ', no leader known'}.`;
	const lines = sv('g', { class: 'links' });
	const ring = sv('g', { class: 'nodes' });
	const zr = ens.length > 1 ? 50 + ens.length * 6 : 0;
	const hub = zr + 30;
	nodes.forEach((node, i) => {
		const a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
		const r = two && i % 2 ? r1 : r0;
		const x = c + r * Math.cos(a), y = c + r * Math.sin(a);
		if (node.session) {
			lines.append(sv('line', { x1: c + hub * Math.cos(a), y1: c + hub * Math.sin(a), x2: x - 17 * Math.cos(a), y2: y - 17 * Math.sin(a), class: `link ${stateClass(node.state)}` }));
		}
		ring.append(nodeGlyph(d, node, x, y, a, two));
	});
	svg.append(lines, ensembleGlyph(d, ens, c, zr), ring);
	fill($('legend'), STATES.map((s) => el('li', null, sv('svg', { viewBox: '0 0 10 10', width: 12, height: 12, 'aria-hidden': 'true' }, sv('circle', { cx: 5, cy: 5, r: 4.5, class: `dot ${stateClass(s)}` })), ` ${s} (${by[s] || 0})`)),
		el('li', null, el('span', { class: 'self-mark', 'aria-hidden': 'true' }, '◎'), ' this node'));
}

// radial: the label runs along the node's radius, outward (two rings: labels of the inner
// ring pass between the nodes of the outer one, so nothing overlaps at 50 nodes and beyond).
function nodeGlyph(d, node, x, y, a, radial) {
	const h = node.holds || {};
	const isSelf = d.self && node.id === d.self.node;
	const g = sv('g', { class: `node ${stateClass(node.state)}${isSelf ? ' self' : ''}`, 'data-node': node.id });
	g.append(sv('title', null, `${node.id}: ${node.state}, last heard ${fmtAgo(node.last_heard_ms)}; ` +
		`${h.leases || 0} leases, ${h.mounts || 0} mounts, ${h.endpoints || 0} endpoints, ${h.addresses || 0} addresses`));
	if (isSelf) g.append(sv('circle', { cx: x, cy: y, r: 21, class: 'self-ring' }));
	g.append(sv('circle', { cx: x, cy: y, r: 16, class: 'dot' }));
	g.append(sv('text', { x, y: y + 4, class: 'glyph', 'text-anchor': 'middle' }, stateGlyph(node.state)));
	const cos = Math.cos(a), sin = Math.sin(a);
	const id = String(node.id);
	const label = id.length > 18 ? id.slice(0, 17) + '…' : id;
	const counts = `${h.leases || 0}L · ${h.mounts || 0}M · ${h.endpoints || 0}E`;
	if (radial) {
		const lx = x + 24 * cos, ly = y + 24 * sin;
		const right = cos >= 0;
		const rot = (a * 180) / Math.PI + (right ? 0 : 180);
		g.append(sv('text', { x: lx, y: ly, dy: '0.35em', class: 'label', 'text-anchor': right ? 'start' : 'end', transform: `rotate(${rot.toFixed(1)} ${lx.toFixed(1)} ${ly.toFixed(1)})` },
			right ? [label, sv('tspan', { class: 'counts', dx: 6 }, counts)] : [sv('tspan', { class: 'counts' }, counts), sv('tspan', { dx: 6 }, label)]));
		return g;
	}
	const lx = x + 26 * cos, ly = y + 26 * sin + (sin > 0.3 ? 10 : sin < -0.3 ? -14 : 0);
	const anchor = cos > 0.3 ? 'start' : cos < -0.3 ? 'end' : 'middle';
	g.append(sv('text', { x: lx, y: ly, class: 'label', 'text-anchor': anchor }, label));
	g.append(sv('text', { x: lx, y: ly + 13, class: 'counts', 'text-anchor': anchor }, counts));
	return g;
}

function stateGlyph(s) {
	return { connected: '✓', 'cut off': '!', expired: '×', reaped: '–' }[s] || '?';
}

function ensembleGlyph(d, ens, c, zr) {
	const zk = (d.self && d.self.zookeeper) || {};
	const g = sv('g', { class: 'ensemble' });
	g.append(sv('circle', { cx: c, cy: c, r: zr + 26, class: 'hub' }));
	g.append(sv('text', { x: c, y: c + (ens.length > 1 ? 4 : -22), class: 'hub-label', 'text-anchor': 'middle' }, 'ZooKeeper'));
	if (!ens.length) {
		g.append(sv('text', { x: c, y: c + 18, class: 'counts', 'text-anchor': 'middle' }, zk.state || 'unknown'));
		return g;
	}
	ens.forEach((s, i) => {
		const a = -Math.PI / 2 + (2 * Math.PI * i) / ens.length;
		const x = ens.length > 1 ? c + zr * Math.cos(a) : c;
		const y = ens.length > 1 ? c + zr * Math.sin(a) : c;
		const mode = s.error ? 'down' : s.mode || 'unknown';
		const sg = sv('g', { class: `zk-server zk-${mode.replace(/[^a-z]/g, '')}` });
		sg.append(sv('title', null, `${s.server}: ${s.error ? `error: ${s.error}` : mode}`));
		sg.append(sv('circle', { cx: x, cy: y, r: 13, class: 'dot' }));
		sg.append(sv('text', { x, y: y + 4, class: 'glyph', 'text-anchor': 'middle' }, mode === 'leader' ? '★' : mode === 'down' ? '×' : 'F'));
		g.append(sg);
	});
	const leader = ens.find((s) => s.mode === 'leader');
	g.append(sv('text', { x: c, y: c + (ens.length > 1 ? 20 : 30), class: 'counts', 'text-anchor': 'middle' }, leader ? `★ ${leader.server}` : 'no leader known'));
	return g;
}

function renderNodes(d) {
	const body = $('nodes-body');
	const rows = sortedNodes(d).map((n) => {
		const h = n.holds || {};
		const isSelf = d.self && n.id === d.self.node;
		return el('tr', { 'data-node': n.id },
			el('th', { scope: 'row' }, n.id, isSelf ? el('span', { class: 'muted' }, ' (this node)') : null),
			el('td', null, badge(n.state, stateClass(n.state))),
			el('td', null, fmtAgo(n.last_heard_ms)),
			el('td', { class: 'mono' }, n.address || '–'),
			el('td', null, n.version || '–'),
			el('td', null, n.started_at ? timeEl(n.started_at, fmtDateTime(n.started_at)) : '–'),
			['leases', 'mounts', 'endpoints', 'addresses', 'members'].map((k) => el('td', { class: 'num' }, String(h[k] || 0))));
	});
	fill(body, rows.length ? rows : el('tr', null, el('td', { colspan: 11, class: 'empty' }, 'No nodes.')));
}

// ---------- volumes: filtered in memory, only the first rows in the DOM ----------

function indexVolumes(d) {
	app.vols = (d.volumes || []).map((v) => {
		const opts = v.options || {};
		const optText = Object.keys(opts).map((k) => `${k}=${opts[k]}`.toLowerCase());
		return { v, key: String(v.name || '').toLowerCase(), optText, holders: new Set((v.holders || []).map((h) => h.node)) };
	});
}

function setOptions(select, values, anyLabel) {
	const cur = select.value;
	const opts = [el('option', { value: '' }, anyLabel)].concat(values.map((x) => el('option', { value: x }, x)));
	fill(select, opts);
	select.value = values.includes(cur) ? cur : '';
}

function renderVolumeFilters(d) {
	const access = new Set(), types = new Set(), options = new Set();
	for (const { v } of app.vols) {
		if (v.access) access.add(v.access);
		if (v.type) types.add(v.type);
		for (const k of Object.keys(v.options || {})) options.add(k);
	}
	setOptions($('vol-node'), sortedNodes(d).map((n) => n.id), 'any node');
	setOptions($('vol-access'), [...access].sort(), 'any access');
	setOptions($('vol-type'), [...types].sort(), 'any type');
	setOptions($('vol-option'), [...options].sort(), 'any options');
}

function volumeFilter() {
	const q = $('vol-q').value.trim().toLowerCase();
	const node = $('vol-node').value, access = $('vol-access').value, type = $('vol-type').value;
	const option = $('vol-option').value, marker = $('vol-marker').value;
	const terms = q ? q.split(/\s+/) : [];
	return (x) => {
		const v = x.v;
		if (node && !x.holders.has(node)) return false;
		if (access && v.access !== access) return false;
		if (type && v.type !== type) return false;
		if (option && !(v.options && Object.prototype.hasOwnProperty.call(v.options, option))) return false;
		if (marker === 'stale' && !v.stale) return false;
		if (marker === 'conflict' && !v.conflict) return false;
		if (marker === 'problem' && !v.stale && !v.conflict) return false;
		if (marker === 'held' && !x.holders.size) return false;
		if (marker === 'unheld' && x.holders.size) return false;
		for (const t of terms) {
			if (t.includes('=')) { if (!x.optText.some((o) => o.includes(t))) return false; }
			else if (!x.key.includes(t)) return false;
		}
		return true;
	};
}

function renderVolumes() {
	const keep = volumeFilter();
	const shown = [];
	let matched = 0;
	for (const x of app.vols) {
		if (!keep(x)) continue;
		if (matched < app.volLimit) shown.push(x.v);
		matched++;
	}
	fill($('vol-body'), shown.length ? shown.map(volumeRow) : el('tr', null, el('td', { colspan: 7, class: 'empty' }, app.vols.length ? 'No volume matches.' : 'No volumes.')));
	const total = app.vols.length;
	$('vol-status').textContent = matched === total
		? `Showing ${shown.length.toLocaleString()} of ${plural(total, 'volume')}.`
		: `Showing ${shown.length.toLocaleString()} of ${matched.toLocaleString()} matching (${plural(total, 'volume')} in all).`;
	const more = $('vol-more');
	more.hidden = matched <= shown.length;
	more.textContent = `Show ${Math.min(VOLUME_PAGE, matched - shown.length).toLocaleString()} more`;
}

function volumeRow(v) {
	const opts = v.options || {};
	return el('tr', { 'data-volume': v.name },
		el('th', { scope: 'row', class: 'name' }, v.name),
		el('td', null, v.type || '–', v.config ? el('span', { class: 'muted', title: `${v.config.files} file(s), by ${v.config.by || '?'} at ${v.config.at || '?'}` }, ` v${v.config.version}`) : null),
		el('td', null, v.access || '–'),
		el('td', null, Object.keys(opts).length ? Object.keys(opts).map((k) => el('span', { class: 'chip mono' }, `${k}=${opts[k]}`)) : el('span', { class: 'muted' }, 'defaults')),
		el('td', null, (v.holders || []).length ? (v.holders || []).map(holderChip) : el('span', { class: 'muted' }, 'none')),
		el('td', null, v.created_at ? timeEl(v.created_at, fmtDateTime(v.created_at)) : '–', v.created_by ? el('span', { class: 'muted' }, ` by ${v.created_by}`) : null),
		el('td', null, v.stale ? badge('stale', 'warn') : null, v.conflict ? badge('conflict', 'bad') : null));
}

function holderChip(h) {
	const bits = [`${h.mounts || 0} mount${h.mounts === 1 ? '' : 's'}`];
	if (h.exclusive) bits.push('exclusive');
	if (h.registered === false) bits.push('not registered');
	return el('span', { class: `chip holder${h.registered === false ? ' warn' : ''}`, title: bits.join(', ') },
		el('strong', null, h.node), ` ×${h.mounts || 0}`, h.exclusive ? el('span', { class: 'muted' }, ' excl.') : null, h.registered === false ? ' ⚠' : '');
}

// ---------- networks and pools ----------

// A network's label: its name, else its key (a network whose name no record says).
const networkLabel = (n) => String(n.name || n.key || '');

function renderNetworks(d) {
	const pools = d.pools || [];
	const nets = (d.networks || []).slice().sort((a, b) => networkLabel(a).localeCompare(networkLabel(b), undefined, { numeric: true }));
	// a pool lists the keys of the networks on it
	const netName = new Map(nets.filter((n) => n.key).map((n) => [n.key, networkLabel(n)]));
	fill($('pools-body'), pools.map((p) => {
		const used = Number(p.used) || 0, size = Number(p.size) || 0;
		const pct = size > 0 ? Math.max(0, Math.min(100, (100 * used) / size)) : 0;
		const label = `${used} of ${size} addresses used (${pct.toFixed(pct < 10 ? 1 : 0)}%)`;
		const bar = sv('svg', { class: 'bar', viewBox: '0 0 100 10', preserveAspectRatio: 'none', role: 'img', 'aria-label': label },
			sv('title', null, label),
			sv('rect', { x: 0, y: 0, width: 100, height: 10, class: 'bar-bg' }),
			sv('rect', { x: 0, y: 0, width: pct.toFixed(2), height: 10, class: `bar-fg${pct >= 90 ? ' full' : pct >= 70 ? ' high' : ''}` }));
		return el('tr', null, el('th', { scope: 'row', class: 'mono' }, p.subnet), el('td', null, (p.networks || []).map((k) => netName.get(k) || k).join(', ') || '–'),
			el('td', { class: 'fill' }, bar), el('td', { class: 'num' }, size > 0 ? `${used} / ${size}` : `${used}`));
	}));
	$('pools-empty').hidden = pools.length > 0;
	fill($('networks'), nets.map(networkCard));
	$('networks-empty').hidden = nets.length > 0;
}

function networkCard(n) {
	const byNode = new Map();
	for (const e of n.endpoints || []) {
		if (!byNode.has(e.node)) byNode.set(e.node, []);
		byNode.get(e.node).push(e);
	}
	const kv = (k, v, cls) => [el('dt', null, k), el('dd', { class: cls }, v === null || v === undefined || v === '' ? '–' : String(v))];
	const rows = [];
	for (const [node, eps] of [...byNode.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0])))) {
		eps.forEach((e, i) => rows.push(el('tr', null,
			i === 0 ? el('th', { scope: 'rowgroup', rowspan: eps.length }, node) : null,
			el('td', null, e.name === null || e.name === undefined ? el('span', { class: 'muted' }, 'unnamed') : e.name),
			el('td', { class: 'mono' }, e.address || '–'),
			el('td', { class: 'mono muted', title: e.id || '' }, String(e.id || '').slice(0, 12)))));
	}
	return el('article', { class: 'card', 'data-network': networkLabel(n) },
		el('h3', null, n.name ? n.name : el('span', { class: 'mono', title: 'no record names this network' }, n.key || '–'), ' ',
			n.valid === false ? badge('unreadable record', 'warn') : badge(`VNI ${n.vni ?? '?'}`, 'plain')),
		el('dl', { class: 'kv' }, kv('Subnet', n.subnet, 'mono'), kv('Gateway', n.gateway, 'mono'), kv('VNI', n.vni), kv('MTU', n.mtu),
			kv('Members', (n.members || []).join(', '))),
		rows.length
			? el('div', { class: 'scroll' }, el('table', { class: 'grid small' }, el('caption', null, `Endpoints (${(n.endpoints || []).length}) by node`),
				el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Node'), el('th', { scope: 'col' }, 'Name'), el('th', { scope: 'col' }, 'Address'), el('th', { scope: 'col' }, 'Endpoint'))),
				el('tbody', null, rows)))
			: el('p', { class: 'muted' }, 'No endpoints.'));
}

// ---------- ZooKeeper ----------

function renderZk(d) {
	const self = d.self || {};
	const zk = self.zookeeper || {};
	const kv = (k, v, cls) => [el('dt', null, k), el('dd', { class: cls }, v)];
	fill($('zk-self'),
		kv('Node', self.node || '–'),
		kv('State', badge(zk.state || 'unknown', zk.state === 'connected' ? 'st-connected' : 'st-cut-off')),
		kv('Servers', zk.hosts || '–', 'mono'),
		kv('Root', zk.root || '–', 'mono'),
		kv('Session', zk.session || '–', 'mono'),
		kv('Session timeout', fmtMs(zk.timeout_ms)),
		kv('Last answer', fmtAgo(zk.last_contact_ms)),
		kv('Latency', zk.latency_ms === null || zk.latency_ms === undefined ? 'not probed yet' : fmtMs(zk.latency_ms)),
		kv('Mirror', zk.synced ? badge('synced', 'st-connected') : badge('not synced', 'st-cut-off')),
		kv('Mirror size', Number.isFinite(zk.mirror_nodes) ? plural(zk.mirror_nodes, 'znode') : '–'),
		kv('Mirror changed', fmtAgo(zk.mirror_changed_ms)));
	const ens = d.ensemble || [];
	fill($('zk-body'), ens.length ? ens.map((s) => {
		const l = s.latency_ms || {};
		return el('tr', { class: s.mode === 'leader' ? 'leader' : '' },
			el('th', { scope: 'row', class: 'mono' }, s.server),
			el('td', null, s.mode ? badge(s.mode === 'leader' ? '★ leader' : s.mode, s.mode === 'leader' ? 'leader' : 'plain') : badge('unknown', 'warn')),
			el('td', { class: 'mono' }, s.zxid || '–'),
			el('td', { class: 'num' }, s.connections === undefined || s.connections === null ? '–' : String(s.connections)),
			el('td', null, s.latency_ms ? `${fmtMs(l.min)} / ${fmtMs(l.avg)} / ${fmtMs(l.max)}` : '–'),
			el('td', null, s.error ? badge(s.error, 'bad') : ''));
	}) : el('tr', null, el('td', { colspan: 6, class: 'empty' }, 'No server answered srvr yet.')));
}

// ---------- the feed ----------

const KINDS = {
	'volume.created': ['+', 'volume created', 'k-add'],
	'volume.removed': ['−', 'volume removed', 'k-del'],
	'volume.mounted': ['⇡', 'mounted', 'k-add'],
	'volume.unmounted': ['⇣', 'unmounted', 'k-info'],
	'node.joined': ['+', 'node joined', 'k-add'],
	'node.cut_off': ['!', 'node cut off', 'k-warn'],
	'node.expired': ['×', 'node expired', 'k-del'],
	'node.reaped': ['–', 'node reaped', 'k-info'],
	'node.back': ['✓', 'node back', 'k-add'],
	'network.created': ['+', 'network created', 'k-add'],
	'network.removed': ['−', 'network removed', 'k-del'],
	'endpoint.joined': ['→', 'endpoint joined', 'k-add'],
	'endpoint.left': ['←', 'endpoint left', 'k-info'],
	'address.reclaimed': ['↺', 'address reclaimed', 'k-warn'],
	'pool.created': ['+', 'pool created', 'k-add'],
	'pool.removed': ['−', 'pool removed', 'k-del'],
	'config.changed': ['⚙', 'config changed', 'k-info'],
};

// Endpoint names by the first 12 digits of their ids, from every document seen (bounded): the
// feed names an endpoint by its id when its name record came after it (a container is named
// once it runs); the page shows the name it has learnt since.
const EP_NAMES_MAX = 20000;

function learnEndpointNames(d) {
	if (!app.epNames) app.epNames = new Map();
	for (const n of d.networks || []) {
		for (const e of n.endpoints || []) {
			if (typeof e.id === 'string' && typeof e.name === 'string' && e.name) app.epNames.set(e.id.slice(0, 12), e.name);
		}
	}
	if (app.epNames.size > EP_NAMES_MAX) app.epNames = new Map([...app.epNames].slice(-EP_NAMES_MAX / 2));
}

function feedText(it) {
	const text = it.text || `${it.subject || ''}${it.node ? ` on ${it.node}` : ''}`;
	const sub = typeof it.subject === 'string' ? it.subject : '';
	if (/^endpoint\./.test(it.kind) && /^[0-9a-f]{12}$/.test(sub) && text.startsWith(sub) && app.epNames && app.epNames.has(sub)) {
		return el('span', { class: 'text', title: `endpoint ${sub}…` }, app.epNames.get(sub), text.slice(sub.length));
	}
	return el('span', { class: 'text' }, text);
}

function feedItem(it) {
	const [icon, label, cls] = KINDS[it.kind] || ['•', String(it.kind || 'change'), 'k-info'];
	return el('li', { class: `item ${cls}`, 'data-kind': it.kind, 'data-id': it.id },
		el('span', { class: 'icon', 'aria-hidden': 'true' }, icon),
		el('span', { class: 'kind' }, label),
		feedText(it),
		it.at ? timeEl(it.at, fmtTime(it.at)) : null);
}

function renderFeed() {
	fill($('feed'), app.feed.map(feedItem));
	$('feed-empty').hidden = app.feed.length > 0;
	fill($('recent'), app.feed.slice(0, RECENT_MAX).map(feedItem));
	$('recent-empty').hidden = app.feed.length > 0;
	$('c-feed').textContent = app.feed.length ? app.feed.length.toLocaleString() : '';
}

// ---------- tabs (the WAI-ARIA tabs pattern, manual activation) ----------

function tabs() {
	return [...document.querySelectorAll('[role=tab]')];
}

function selectTab(tab, focus) {
	for (const t of tabs()) {
		const on = t === tab;
		t.setAttribute('aria-selected', on ? 'true' : 'false');
		t.tabIndex = on ? 0 : -1;
		$(t.getAttribute('aria-controls')).hidden = !on;
	}
	if (focus) tab.focus();
	const name = tab.id.replace(/^tab-/, '');
	if (location.hash !== `#${name}`) history.replaceState(null, '', name === 'overview' ? location.pathname : `#${name}`);
}

function setupTabs() {
	const list = $('tablist');
	list.addEventListener('click', (e) => {
		const t = e.target.closest('[role=tab]');
		if (t) selectTab(t, true);
	});
	list.addEventListener('keydown', (e) => {
		const all = tabs();
		const i = all.indexOf(document.activeElement);
		if (i < 0) return;
		let j = -1;
		if (e.key === 'ArrowRight') j = (i + 1) % all.length;
		else if (e.key === 'ArrowLeft') j = (i - 1 + all.length) % all.length;
		else if (e.key === 'Home') j = 0;
		else if (e.key === 'End') j = all.length - 1;
		if (j >= 0) {
			e.preventDefault();
			all[j].focus();
		}
		// Enter and Space activate: the tabs are buttons, their click does it.
	});
	const fromHash = () => {
		const t = $(`tab-${location.hash.slice(1)}`);
		if (t && t.getAttribute('role') === 'tab') selectTab(t, false);
	};
	window.addEventListener('hashchange', fromHash);
	fromHash();
}

// ---------- wiring ----------

function setupVolumes() {
	const again = () => { app.volLimit = VOLUME_PAGE; renderVolumes(); };
	let t = 0;
	$('vol-q').addEventListener('input', () => { clearTimeout(t); t = setTimeout(again, 60); });
	for (const id of ['vol-node', 'vol-access', 'vol-type', 'vol-option', 'vol-marker']) $(id).addEventListener('change', again);
	$('vol-filters').addEventListener('submit', (e) => { e.preventDefault(); again(); });
	$('vol-more').addEventListener('click', () => { app.volLimit += VOLUME_PAGE; renderVolumes(); });
}

function tick() {
	renderUpdated();
	if (!$('stale').hidden) renderStale();
}

setupTabs();
setupVolumes();
refresh();
startStream();
setInterval(tick, 1000);
