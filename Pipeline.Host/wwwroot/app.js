// The demo page: starts a job, follows its event stream with a fetch-based reader (so a bearer token can go with it;
// it resumes with Last-Event-ID after a drop, as EventSource would), and renders progress, the pool, the set in play
// order with its tempo and energy curve, and the model's notes as they arrive.
(() => {
  const $ = s => document.querySelector(s);
  const svg = 'http://www.w3.org/2000/svg';
  let job = null;
  let controller = null;

  const text = (el, value) => { el.textContent = value ?? ''; };
  const token = () => $('#token').value.trim();
  const authorized = headers => (token() ? { ...headers, Authorization: `Bearer ${token()}` } : headers);

  function reset() {
    controller?.abort();
    job = null;
    text($('#problem'), ''); $('#problem').hidden = true;
    $('#tracks tbody').replaceChildren(); $('#order tbody').replaceChildren(); $('#stages').replaceChildren(); $('#curve').replaceChildren();
    $('#set').hidden = true; $('#shortfall').hidden = true;
    for (const id of ['#llm', '#intent', '#quality', '#review']) text($(id), '');
    text($('#shed'), '0'); text($('#failed'), '0');
  }

  function problem(details) {
    const fields = details.errors ? Object.entries(details.errors).map(([k, v]) => `${k}: ${v.join(' ')}`).join('; ') : '';
    text($('#problem'), `${details.title ?? 'Error'}${details.detail ? ' — ' + details.detail : ''}${fields ? ' — ' + fields : ''}`);
    $('#problem').hidden = false;
    text($('#status'), 'failed');
  }

  function cells(tr, values) {
    tr.replaceChildren(...values.map(c => { const td = document.createElement('td'); td.textContent = c ?? '—'; return td; }));
  }

  function row(track) {
    let tr = document.getElementById(`track-${track.index}`);
    if (!tr) {
      tr = document.createElement('tr');
      tr.id = `track-${track.index}`;
      tr.dataset.index = track.index;
      const after = [...$('#tracks tbody').children].find(r => Number(r.dataset.index) > track.index);
      $('#tracks tbody').insertBefore(tr, after ?? null);
    }
    cells(tr, [track.index, `${track.artist} – ${track.title}`, track.bpm?.toFixed(1), track.camelot,
      track.features?.energy?.toFixed(2), (track.tags ?? []).slice(0, 4).join(', '), track.source]);
  }

  function progress(stages) {
    const box = $('#stages');
    box.replaceChildren();
    const order = ['search', 'audio-features', 'enrichment', 'sequencing', 'llm'];
    const rank = name => (order.indexOf(name) + order.length + 1) % (order.length + 1);
    for (const [name, c] of Object.entries(stages).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))) {
      const done = c.passed + c.failed + c.dropped, total = Math.max(c.offered, 1);
      const label = document.createElement('span'); label.textContent = name;
      const bar = document.createElement('div'); bar.className = 'bar'; bar.dataset.stage = name;
      const fill = document.createElement('div'); fill.style.width = `${Math.round(100 * done / total)}%`; bar.append(fill);
      const n = document.createElement('span'); n.textContent = `${done}/${c.offered} (${c.inStage} in)`;
      box.append(label, bar, n);
    }
  }

  function intent(i) {
    const parts = [];
    if (i.styles.length) parts.push(i.styles.join(' / '));
    if (i.moods.length) parts.push(i.moods.join(', '));
    if (i.yearFrom) parts.push(i.yearFrom === i.yearTo ? `${i.yearFrom}` : `${i.yearFrom}–${i.yearTo}`);
    if (i.tempo) parts.push(i.tempo.shape === 'flat' ? `${i.tempo.from} BPM` : `${i.tempo.from}→${i.tempo.to} BPM`);
    if (i.shape) parts.push(i.shape);
    parts.push(i.durationMinutes ? `${i.durationMinutes} min` : `${i.trackCount} tracks`);
    if (i.artists.length) parts.push(`like ${i.artists.join(', ')}`);
    if (i.words.length) parts.push(`words: ${i.words.join(', ')}`);
    text($('#intent'), `Understood: ${parts.join(' · ')}`);
  }

  function line(points, cls) {
    const p = document.createElementNS(svg, 'polyline');
    p.setAttribute('points', points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '));
    p.setAttribute('class', cls);
    return p;
  }

  function curve(tracks) {
    const box = $('#curve');
    box.replaceChildren();
    if (!tracks.length) return;
    const bpms = tracks.flatMap(t => [t.bpm, t.targetBpm]).filter(b => b != null);
    const low = Math.min(...bpms) - 2, high = Math.max(...bpms) + 2;
    const x = i => 10 + (580 * i) / Math.max(1, tracks.length - 1);
    const y = b => 150 - (140 * (b - low)) / Math.max(1, high - low);
    box.append(line(tracks.map((t, i) => [x(i), y(t.targetBpm)]), 'target'));
    box.append(line(tracks.map((t, i) => [x(i), 150 - 140 * (t.energy ?? 0)]), 'energy'));
    box.append(line(tracks.map((t, i) => [x(i), y(t.bpm)]), 'bpm'));
    tracks.forEach((t, i) => {
      const c = document.createElementNS(svg, 'circle');
      c.setAttribute('cx', x(i)); c.setAttribute('cy', y(t.bpm)); c.setAttribute('r', 2.5);
      const title = document.createElementNS(svg, 'title'); title.textContent = `${t.position}. ${t.artists[0]} – ${t.title} (${t.bpm} BPM)`;
      c.append(title); box.append(c);
    });
  }

  function set(s) {
    $('#set').hidden = false;
    const q = s.quality;
    text($('#quality'), `— ${s.tracks.length} tracks, ${Math.round(q.durationMs / 60000)} min, ${Math.round(100 * q.inTempoShare)}% on the curve (${s.curve.shape} ${s.curve.from}→${s.curve.to} BPM), ${Math.round(100 * q.keyCompatibleShare)}% compatible keys, largest step ${q.largestStep} BPM`);
    $('#shortfall').hidden = !s.shortfall; text($('#shortfall'), s.shortfall);
    text($('#review'), s.review ?? 'notes on their way');
    $('#order tbody').replaceChildren(...s.tracks.map(t => {
      const tr = document.createElement('tr');
      const x = t.transition;
      const into = x ? `${x.tempoStep > 0 ? '+' : ''}${x.tempoStep} BPM, ${x.keyRelation}: ${x.mix}${x.note ? ' — ' + x.note : ''}` : '';
      cells(tr, [t.position, `${t.artists.join(', ')} – ${t.title}`, t.bpm?.toFixed(1), t.camelot, t.energy?.toFixed(2), t.releaseYear, into]);
      return tr;
    }));
    curve(s.tracks);
  }

  async function download(format) {
    const response = await fetch(`/v1/jobs/${job}/set?format=${format}`, { headers: authorized({}) });
    if (!response.ok) { problem(await response.json()); return; }
    const name = /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `set.${format}`;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(await response.blob());
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  const handlers = {
    'job.accepted': e => text($('#status'), `running (${e.jobId})`),
    'intent': e => intent(e.intent),
    'stage.progress': e => progress(e.stages),
    'track.found': e => row(e.track),
    'track.enriched': e => row(e.track),
    'item.shed': () => text($('#shed'), String(Number($('#shed').textContent) + 1)),
    'item.failed': () => text($('#failed'), String(Number($('#failed').textContent) + 1)),
    'set.ordered': e => set(e.set),
    'llm.delta': e => $('#llm').append(e.text),
    'llm.completed': e => text($('#llm'), e.text),
    'set.completed': e => set(e.set),
  };

  // Server-sent events read from a fetch body (WHATWG framing: LF, CR or CRLF lines, comments, multi-line data, id
  // and retry), reconnecting with Last-Event-ID until the job's terminal event arrives.
  async function follow(id) {
    controller = new AbortController();
    const signal = controller.signal;
    let lastId = '', retry = 2000, ended = false;
    while (!ended && !signal.aborted) {
      try {
        const headers = authorized({ Accept: 'text/event-stream', ...(lastId ? { 'Last-Event-ID': lastId } : {}) });
        const response = await fetch(`/v1/jobs/${id}/events`, { headers, signal });
        if (!response.ok || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
          problem(await response.json().catch(() => ({ title: `HTTP ${response.status}` })));
          return;
        }
        text($('#status'), 'streaming');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '', type = '', data = [], eventId = null;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          for (let m; (m = /\r\n|\r(?!$)|\n/.exec(buffer));) {
            const lineText = buffer.slice(0, m.index);
            buffer = buffer.slice(m.index + m[0].length);
            if (lineText === '') {
              if (eventId !== null) lastId = eventId;
              if (data.length) ended = dispatch(type || 'message', data.join('\n')) || ended;
              type = ''; data = []; eventId = null;
              continue;
            }
            if (lineText.startsWith(':')) continue;
            const colon = lineText.indexOf(':');
            const field = colon < 0 ? lineText : lineText.slice(0, colon);
            let v = colon < 0 ? '' : lineText.slice(colon + 1);
            if (v.startsWith(' ')) v = v.slice(1);
            if (field === 'event') type = v;
            else if (field === 'data') data.push(v);
            else if (field === 'id' && !v.includes('\0')) eventId = v;
            else if (field === 'retry' && /^\d+$/.test(v)) retry = Number(v);
          }
          if (ended) { controller.abort(); return; }
        }
      } catch {
        if (signal.aborted) return;
      }
      if (!ended) {
        text($('#status'), 'reconnecting…');
        await new Promise(resolve => setTimeout(resolve, retry));
      }
    }
  }

  function dispatch(type, json) {
    const e = JSON.parse(json);
    if (type.startsWith('job.') && type !== 'job.accepted') {
      text($('#status'), `${type.slice(4)}${e.reason ? ' (' + e.reason + ')' : ''}`);
      return true; // the terminal event is the last: do not reconnect
    }
    handlers[type]?.(e);
    return false;
  }

  $('#m3u').addEventListener('click', () => download('m3u'));
  $('#csv').addEventListener('click', () => download('csv'));
  $('#token').value = sessionStorage.getItem('pipeline-token') ?? '';
  $('#token').addEventListener('change', () => sessionStorage.setItem('pipeline-token', token()));

  $('#request').addEventListener('submit', async e => {
    e.preventDefault();
    reset();
    text($('#status'), 'starting…');
    const number = sel => ($(sel).value === '' ? undefined : Number($(sel).value));
    const seeds = $('#seeds').value.split('\n').map(s => s.trim()).filter(Boolean);
    const body = { prompt: $('#prompt').value, trackCount: number('#count'), durationMinutes: number('#minutes'), bpm: number('#bpm'), seedTracks: seeds.length ? seeds : undefined };
    const response = await fetch('/v1/jobs', { method: 'POST', headers: authorized({ 'Content-Type': 'application/json' }), body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({ title: `HTTP ${response.status}` }));
    if (!response.ok) {
      if (response.status === 401) { $('#more').open = true; answer.detail = (answer.detail ?? '') + ' Enter the token under "more".'; }
      problem(answer);
      return;
    }
    job = answer.id;
    follow(job);
  });
})();
