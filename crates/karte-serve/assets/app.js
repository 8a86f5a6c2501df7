// karte dashboard: findings first, then the last hour drawn as inline SVG, then processes.
// No libraries, no external requests: everything comes from this server's /api.
'use strict';

(function () {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const HOUR = 3600;

  const TEXT = {
    en: {
      loading: 'Loading…', findings: 'Findings', lastHour: 'The last hour', load: 'Load average',
      cpu: 'CPU time', memory: 'Memory and swap', disk: 'Disk busy', network: 'Network',
      processes: 'Processes', pid: 'PID', command: 'Command', state: 'State', nice: 'Nice',
      cpuPct: 'CPU %', rss: 'Memory', evidence: 'Evidence', remedy: 'What to do',
      noProblems: 'No problems found', problems: (n) => n === 1 ? '1 problem found' : n + ' problems found',
      infoOnly: (n) => 'No problems; ' + n + (n === 1 ? ' note' : ' notes'),
      rulesChecked: (n, s) => n + ' rules checked' + (s ? ', ' + s + ' could not judge (missing data)' : ''),
      nothingToShow: 'Nothing to report: every rule that could judge found this host healthy.',
      cpus: 'CPUs', cpuCount: 'CPU count', used: 'used', total: 'total', swapUsed: 'swap used',
      swapTotal: 'swap total', rx: 'in', tx: 'out', noData: 'collecting data…', uptime: 'up',
      kernel: 'kernel', loadNow: 'load', memAvail: 'memory available', updated: 'updated',
      lost: 'Connection to karte lost; retrying…', history: 'history', explain: 'details: karte explain',
      critical: 'critical', warning: 'warning', info: 'info', notes: 'Notes',
      modes: { user: 'user', nice: 'nice', system: 'system', irq: 'irq', softirq: 'softirq', iowait: 'iowait', steal: 'steal' },
      kthread: 'kernel thread', dstate: 'waiting (D)',
    },
    ja: {
      loading: '読み込み中…', findings: '所見', lastHour: '直近 1 時間', load: 'ロードアベレージ',
      cpu: 'CPU 時間', memory: 'メモリとスワップ', disk: 'ディスク使用率', network: 'ネットワーク',
      processes: 'プロセス', pid: 'PID', command: 'コマンド', state: '状態', nice: 'nice',
      cpuPct: 'CPU %', rss: 'メモリ', evidence: '根拠', remedy: '対処',
      noProblems: '問題は見つかりませんでした', problems: (n) => n + ' 件の問題が見つかりました',
      infoOnly: (n) => '問題なし（参考情報 ' + n + ' 件）',
      rulesChecked: (n, s) => n + ' 個のルールで確認' + (s ? '（うち ' + s + ' 個はデータ不足で判定できず）' : ''),
      nothingToShow: '報告することはありません。判定できたすべてのルールで、このホストは健全です。',
      cpus: 'CPU 数', cpuCount: 'CPU 数', used: '使用中', total: '合計', swapUsed: 'スワップ使用中',
      swapTotal: 'スワップ合計', rx: '受信', tx: '送信', noData: 'データ収集中…', uptime: '稼働',
      kernel: 'カーネル', loadNow: 'ロード', memAvail: '利用可能メモリ', updated: '更新',
      lost: 'karte との接続が切れました。再試行しています…', history: '履歴', explain: '詳細: karte explain',
      critical: '重大', warning: '警告', info: '情報', notes: '注記',
      modes: { user: 'user', nice: 'nice', system: 'system', irq: 'irq', softirq: 'softirq', iowait: 'iowait', steal: 'steal' },
      kthread: 'カーネルスレッド', dstate: '待機 (D)',
    },
  };

  function pickLang() {
    const q = new URLSearchParams(location.search).get('lang');
    if (q === 'ja' || q === 'en') return q;
    const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
    for (const l of langs) {
      const s = String(l).toLowerCase();
      if (s.startsWith('ja')) return 'ja';
      if (s.startsWith('en')) return 'en';
    }
    return 'en';
  }

  const lang = pickLang();
  const T = TEXT[lang];
  const locale = lang === 'ja' ? 'ja-JP' : 'en-GB';

  // ---- small DOM helpers -------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }
  const $ = (id) => document.getElementById(id);

  // ---- formatting ----------------------------------------------------------------------------
  function fmtBytes(v, perSec) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (v >= 100 || i === 0 ? v.toFixed(0) : v.toFixed(1)) + ' ' + u[i] + (perSec ? '/s' : '');
  }
  const fmtPct = (v) => (v === null || v === undefined) ? '–' : (v >= 10 ? v.toFixed(0) : v.toFixed(1)) + ' %';
  const fmtNum = (v) => (v === null || v === undefined) ? '–' : (Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  function fmtDuration(s) {
    if (!isFinite(s)) return '–';
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (lang === 'ja') return d ? d + '日 ' + h + '時間' : h ? h + '時間 ' + m + '分' : m + '分';
    return d ? d + 'd ' + h + 'h' : h ? h + 'h ' + m + 'm' : m + 'm';
  }
  const fmtClock = (t) => new Date(t * 1000).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });

  // ---- fetching ------------------------------------------------------------------------------
  async function getJSON(path) {
    const r = await fetch(path, { cache: 'no-store', credentials: 'same-origin' });
    if (!r.ok) throw new Error(path + ': ' + r.status);
    return r.json();
  }

  // ---- findings ------------------------------------------------------------------------------
  function renderFindings(doc) {
    const box = $('findings');
    box.replaceChildren();
    const problems = doc.findings.filter((f) => f.severity !== 'info').length;
    const status = $('status-line');
    status.className = 'status-line ' + (doc.worst === 'critical' ? 'critical' : problems ? 'warning' : 'ok');
    const skipped = (doc.skipped || []).length;
    status.textContent = (problems ? T.problems(problems) : doc.findings.length ? T.infoOnly(doc.findings.length) : T.noProblems)
      + ' — ' + T.rulesChecked(doc.rules_run, skipped);
    if (!doc.findings.length) {
      box.append(el('div', { class: 'none' }, T.nothingToShow));
      return;
    }
    for (const f of doc.findings) {
      const head = el('div', { class: 'head' },
        el('span', { class: 'badge ' + f.severity }, T[f.severity] || f.severity),
        el('h3', {}, f.title),
        el('span', { class: 'rule', title: T.explain + ' ' + f.rule }, f.rule));
      const subjects = el('div', { class: 'subjects' }, ...(f.subjects || []).map((s) => el('span', {}, s)));
      const cols = el('div', { class: 'cols' },
        el('div', { class: 'evidence' }, el('h4', {}, T.evidence), el('ul', {}, ...(f.evidence || []).map(evidenceItem))),
        el('div', { class: 'remedy' }, el('h4', {}, T.remedy), el('ol', {}, ...(f.remedy || []).map((x) => el('li', {}, x)))));
      box.append(el('article', { class: 'finding ' + f.severity, 'data-rule': f.rule },
        head, (f.subjects || []).length ? subjects : null, el('p', { class: 'summary' }, f.summary), cols));
    }
  }

  // Long evidence lines (full command lines) are folded to two lines; a click unfolds them.
  const unfolded = new Set();
  function evidenceItem(x) {
    const li = el('li', { title: x }, x);
    if (String(x).length > 160) {
      li.classList.add('long');
      if (unfolded.has(x)) li.classList.add('open');
      li.addEventListener('click', () => {
        if (li.classList.toggle('open')) unfolded.add(x); else unfolded.delete(x);
      });
    }
    return li;
  }

  // ---- summary and processes -----------------------------------------------------------------
  function renderSummary(doc) {
    const h = doc.host || {};
    $('host').textContent = h.hostname || '';
    document.title = 'karte — ' + (h.hostname || '');
    const s = doc.summary || {};
    const facts = [];
    const fact = (label, value) => facts.push(el('span', {}, label + ' ', el('b', {}, value)));
    if (h.kernel) fact(T.kernel, h.kernel);
    if (h.cpus) fact(T.cpus, String(h.cpus));
    if (h.uptime_secs) fact(T.uptime, fmtDuration(h.uptime_secs));
    if (s.load) fact(T.loadNow, s.load.map(fmtNum).join(' '));
    if (s.mem_available_kb !== null && s.mem_total_kb) {
      fact(T.memAvail, fmtBytes(s.mem_available_kb * 1024) + ' / ' + fmtBytes(s.mem_total_kb * 1024));
    }
    if (doc.time) fact(T.updated, new Date(doc.time * 1000).toLocaleTimeString(locale));
    $('facts').replaceChildren(...facts);

    const body = $('procs').tBodies[0];
    body.replaceChildren();
    for (const p of doc.processes || []) {
      const tr = el('tr', { class: (p.kernel_thread ? 'kthread ' : '') + (p.state === 'D' ? 'dstate' : '') },
        el('td', { class: 'num' }, p.pid),
        el('td', { class: 'cmd', title: p.name + (p.kernel_thread ? ' (' + T.kthread + ')' : '') }, p.name),
        el('td', { title: p.state === 'D' ? T.dstate : '' }, p.state),
        el('td', { class: 'num' }, p.nice),
        el('td', { class: 'num' }, p.cpu_pct === null || p.cpu_pct === undefined ? '–' : p.cpu_pct.toFixed(1)),
        el('td', { class: 'num' }, fmtBytes(p.rss_kb * 1024)));
      body.append(tr);
    }
    const notes = doc.notes || [];
    $('footer').replaceChildren(
      el('div', {}, 'karte ' + (doc.version || '') + ' · ' + T.history + ': ' + (hist ? hist.source : '–')),
      notes.length ? el('details', {}, el('summary', {}, T.notes + ' (' + notes.length + ')'), el('ul', {}, ...notes.map((n) => el('li', {}, n)))) : '');
  }

  // ---- charts --------------------------------------------------------------------------------
  const H = 170, PAD = { l: 52, r: 8, t: 8, b: 20 };

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  // One chart. series: [{label, color, values, dash, area, stack}], t: times, yMax, fmt.
  function drawChart(id, t, series, opts) {
    const fig = $(id);
    const root = fig.querySelector('svg');
    // Drawn at the element's own pixel size, so text is never stretched.
    const W = Math.max(Math.round(root.getBoundingClientRect().width) || 600, 240);
    root.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    root.replaceChildren();
    const now = Date.now() / 1000;
    const x0 = now - HOUR, x1 = now;
    const pw = W - PAD.l - PAD.r, ph = H - PAD.t - PAD.b;
    const X = (x) => PAD.l + (x - x0) / (x1 - x0) * pw;
    let ymax = opts.yMax;
    if (ymax === undefined) {
      let m = 0;
      for (const s of series) for (const v of s.values) if (v !== null && v > m) m = v;
      if (opts.bytes) {
        // Round in the unit the labels use (GiB, MiB, …) so the grid reads 5, 10, 15 GiB.
        let unit = 1;
        while (m * 1.1 >= 1024 * unit && unit < Math.pow(1024, 4)) unit *= 1024;
        ymax = niceMax(m * 1.1 / unit) * unit;
      } else {
        ymax = niceMax(m * 1.1);
      }
    }
    const Y = (y) => PAD.t + ph - Math.min(Math.max(y / ymax, 0), 1.05) * ph;
    for (let i = 0; i <= 4; i++) {
      const yv = ymax * i / 4, yy = Y(yv);
      root.append(svg('line', { class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: yy, y2: yy }));
      const lab = svg('text', { x: PAD.l - 4, y: yy + 3, 'text-anchor': 'end' });
      lab.textContent = opts.fmt(yv);
      root.append(lab);
    }
    for (let k = 0; k <= 4; k++) {
      const tx = x0 + k * HOUR / 4;
      const xx = X(tx);
      root.append(svg('line', { class: 'axis', x1: xx, x2: xx, y1: PAD.t + ph, y2: PAD.t + ph + 3 }));
      const lab = svg('text', { x: xx, y: H - 4, 'text-anchor': k === 0 ? 'start' : k === 4 ? 'end' : 'middle' });
      lab.textContent = fmtClock(tx);
      root.append(lab);
    }
    root.append(svg('line', { class: 'axis', x1: PAD.l, x2: W - PAD.r, y1: PAD.t + ph, y2: PAD.t + ph }));
    const have = t.length > 1 && series.some((s) => s.values.some((v) => v !== null));
    if (!have) {
      const n = svg('text', { x: PAD.l + pw / 2, y: PAD.t + ph / 2, 'text-anchor': 'middle', class: 'nodata' });
      n.textContent = T.noData;
      root.append(n);
    }
    // Stacked series: cumulative sums, drawn top layer first so lower layers paint over.
    const base = new Array(t.length).fill(0);
    const layers = [];
    for (const s of series) {
      if (s.stack) {
        const lo = base.slice();
        const hi = s.values.map((v, i) => (v === null ? null : (base[i] += v)));
        layers.push({ s, lo, hi });
      }
    }
    for (const { s, lo, hi } of layers) {
      for (const seg of segments(t, hi)) {
        const pts = seg.map((i) => X(t[i]).toFixed(1) + ',' + Y(hi[i]).toFixed(1));
        const back = seg.slice().reverse().map((i) => X(t[i]).toFixed(1) + ',' + Y(lo[i]).toFixed(1));
        root.append(svg('polygon', { points: pts.concat(back).join(' '), fill: s.color, 'fill-opacity': 0.85, stroke: 'none' }));
      }
    }
    for (const s of series) {
      if (s.stack) continue;
      for (const seg of segments(t, s.values)) {
        const pts = seg.map((i) => X(t[i]).toFixed(1) + ',' + Y(s.values[i]).toFixed(1));
        if (s.area) {
          const first = seg[0], last = seg[seg.length - 1];
          const poly = pts.concat([X(t[last]).toFixed(1) + ',' + Y(0), X(t[first]).toFixed(1) + ',' + Y(0)]);
          root.append(svg('polygon', { points: poly.join(' '), fill: s.color, 'fill-opacity': 0.18, stroke: 'none' }));
        }
        const attrs = { points: pts.join(' '), fill: 'none', stroke: s.color, 'stroke-width': s.width || 1.6, 'vector-effect': 'non-scaling-stroke', 'stroke-linejoin': 'round' };
        if (s.dash) attrs['stroke-dasharray'] = '5 4';
        root.append(svg('polyline', attrs));
      }
    }
    const legend = fig.querySelector('.legend');
    legend.replaceChildren(...series.filter((s) => !s.hideLegend).map((s) => {
      const last = lastValue(s.values);
      const sw = el('span', { class: 'sw' + (s.dash ? ' dash' : '') });
      sw.style.background = s.color;
      sw.style.borderColor = s.color;
      return el('span', {}, sw, s.label, el('b', {}, last === null ? '–' : opts.fmt(last)));
    }));
  }

  // Index runs where values are present and points are at most a few ticks apart.
  function segments(t, values) {
    const out = [];
    let cur = [];
    const gap = Math.max(3 * tickSecs, 30);
    for (let i = 0; i < t.length; i++) {
      const v = values[i];
      if (v === null || v === undefined || !isFinite(v) || (cur.length && t[i] - t[cur[cur.length - 1]] > gap)) {
        if (cur.length) out.push(cur);
        cur = [];
        if (v === null || v === undefined || !isFinite(v)) continue;
      }
      cur.push(i);
    }
    if (cur.length) out.push(cur);
    return out.map((seg) => (seg.length === 1 ? [seg[0], seg[0]] : seg));
  }
  function lastValue(values) {
    for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i];
    return null;
  }

  const PALETTE = ['#2f6db5', '#e07b39', '#3a9a5b', '#a35bb5', '#c9a227', '#3aa6b9', '#8c6d4f', '#d1495b'];
  const CPU_MODES = [
    ['user', '#2f6db5'], ['nice', '#7fb2e5'], ['system', '#e07b39'], ['irq', '#c9a227'],
    ['softirq', '#e8c66a'], ['iowait', '#a35bb5'], ['steal', '#d1495b'],
  ];

  function drawAll() {
    if (!hist) return;
    const t = hist.t;
    drawChart('chart-load', t, [
      { label: '1m', color: '#2f6db5', values: hist.load1, area: true, width: 2 },
      { label: '5m', color: '#7fb2e5', values: hist.load5 },
      { label: '15m', color: '#9aa7b5', values: hist.load15 },
      { label: T.cpuCount, color: '#d1495b', values: hist.cpus, dash: true },
    ], { fmt: fmtNum });
    drawChart('chart-cpu', t, CPU_MODES.map(([m, c]) => ({ label: T.modes[m], color: c, values: hist.cpu[m] || [], stack: true })),
      { yMax: 100, fmt: (v) => v.toFixed(0) + ' %' });
    drawChart('chart-mem', t, [
      { label: T.used, color: '#2f6db5', values: hist.mem_used_bytes, area: true, width: 2 },
      { label: T.total, color: '#2f6db5', values: hist.mem_total_bytes, dash: true },
      { label: T.swapUsed, color: '#d1495b', values: hist.swap_used_bytes, area: true },
      { label: T.swapTotal, color: '#d1495b', values: hist.swap_total_bytes, dash: true },
    ], { fmt: (v) => fmtBytes(v), bytes: true });
    const disks = Object.keys(hist.disk_busy_pct);
    drawChart('chart-disk', t, disks.map((d, i) => ({ label: d, color: PALETTE[i % PALETTE.length], values: hist.disk_busy_pct[d] })),
      { yMax: 100, fmt: (v) => v.toFixed(0) + ' %' });
    const nets = Object.keys(hist.net_rx_bytes_per_sec);
    const ns = [];
    nets.forEach((n, i) => {
      const c = PALETTE[i % PALETTE.length];
      ns.push({ label: n + ' ' + T.rx, color: c, values: hist.net_rx_bytes_per_sec[n] });
      ns.push({ label: n + ' ' + T.tx, color: c, values: hist.net_tx_bytes_per_sec[n] || [], dash: true });
    });
    drawChart('chart-net', t, ns, { fmt: (v) => fmtBytes(v, true), bytes: true });
  }

  // ---- history, fetched whole then appended to ------------------------------------------------
  let hist = null;
  let tickSecs = 5;
  let lastFull = 0;

  function appendHistory(add) {
    if (!hist) { hist = add; return; }
    const n0 = hist.t.length, n1 = add.t.length;
    if (!n1) return;
    const pad = (n) => new Array(n).fill(null);
    const cat = (a, b, n) => (a || pad(n0)).concat(b || pad(n));
    for (const k of ['load1', 'load5', 'load15', 'cpus', 'mem_used_bytes', 'mem_total_bytes', 'swap_used_bytes', 'swap_total_bytes', 'problems']) {
      hist[k] = cat(hist[k], add[k], n1);
    }
    for (const group of ['cpu', 'disk_busy_pct', 'net_rx_bytes_per_sec', 'net_tx_bytes_per_sec']) {
      const keys = new Set(Object.keys(hist[group]).concat(Object.keys(add[group])));
      for (const k of keys) hist[group][k] = cat(hist[group][k], add[group][k], n1);
    }
    hist.t = hist.t.concat(add.t);
    hist.source = add.source;
    // Keep the last hour.
    const cut = Date.now() / 1000 - HOUR;
    let drop = 0;
    while (drop < hist.t.length && hist.t[drop] < cut) drop++;
    if (drop) {
      const trim = (a) => a.slice(drop);
      hist.t = trim(hist.t);
      for (const k of ['load1', 'load5', 'load15', 'cpus', 'mem_used_bytes', 'mem_total_bytes', 'swap_used_bytes', 'swap_total_bytes', 'problems']) hist[k] = trim(hist[k]);
      for (const group of ['cpu', 'disk_busy_pct', 'net_rx_bytes_per_sec', 'net_tx_bytes_per_sec']) {
        for (const k of Object.keys(hist[group])) {
          hist[group][k] = trim(hist[group][k]);
          if (hist[group][k].every((v) => v === null)) delete hist[group][k];
        }
      }
    }
  }

  async function refresh() {
    const [summary, findings] = await Promise.all([getJSON('/api/summary'), getJSON('/api/findings?lang=' + lang)]);
    tickSecs = Math.min(Math.max(summary.tick_secs || 5, 1), 60);
    const now = Date.now() / 1000;
    if (!hist || now - lastFull > 300) {
      hist = null;
      appendHistory(await getJSON('/api/history?since=1h'));
      lastFull = now;
    } else {
      const last = hist.t.length ? hist.t[hist.t.length - 1] : now - HOUR;
      appendHistory(await getJSON('/api/history?since=' + (last + 0.001).toFixed(3)));
    }
    renderFindings(findings);
    renderSummary(summary);
    drawAll();
    document.body.setAttribute('data-ready', '1');
  }

  async function loop() {
    try {
      await refresh();
      $('banner').hidden = true;
    } catch (e) {
      $('banner').textContent = T.lost;
      $('banner').hidden = false;
    }
    setTimeout(loop, tickSecs * 1000);
  }

  function start() {
    document.documentElement.lang = lang;
    for (const e of document.querySelectorAll('[data-i18n]')) {
      const v = T[e.getAttribute('data-i18n')];
      if (typeof v === 'string') e.textContent = v;
    }
    $('lang-' + lang).classList.add('active');
    loop();
  }

  let resizeTimer = 0;
  window.addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawAll, 150); });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
