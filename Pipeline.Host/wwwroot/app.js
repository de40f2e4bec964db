// The demo page: starts a job, follows its event stream (EventSource resumes by itself with Last-Event-ID after a
// drop), and renders progress, tracks, shed/failed counts and the model's text as they arrive.
(() => {
  const $ = s => document.querySelector(s);
  let source = null;

  const text = (el, value) => { el.textContent = value ?? ''; };

  function reset() {
    source?.close();
    text($('#problem'), ''); $('#problem').hidden = true;
    $('#tracks tbody').replaceChildren(); $('#stages').replaceChildren();
    text($('#llm'), ''); text($('#shed'), '0'); text($('#failed'), '0');
  }

  function problem(details) {
    const fields = details.errors ? Object.entries(details.errors).map(([k, v]) => `${k}: ${v.join(' ')}`).join('; ') : '';
    text($('#problem'), `${details.title ?? 'Error'}${details.detail ? ' — ' + details.detail : ''}${fields ? ' — ' + fields : ''}`);
    $('#problem').hidden = false;
    text($('#status'), 'failed to start');
  }

  function row(track) {
    let tr = document.getElementById(`track-${track.index}`);
    if (!tr) {
      tr = document.createElement('tr');
      tr.id = `track-${track.index}`;
      const rows = [...$('#tracks tbody').children];
      const after = rows.find(r => Number(r.dataset.index) > track.index);
      tr.dataset.index = track.index;
      $('#tracks tbody').insertBefore(tr, after ?? null);
    }
    const cells = [track.index, `${track.artist} – ${track.title}`, track.bpm?.toFixed(1), track.camelot,
      track.features?.energy?.toFixed(2), (track.tags ?? []).slice(0, 4).join(', '), track.bpmSource];
    tr.replaceChildren(...cells.map(c => { const td = document.createElement('td'); td.textContent = c ?? '—'; return td; }));
  }

  function progress(stages) {
    const box = $('#stages');
    box.replaceChildren();
    const order = ['search', 'audio-features', 'enrichment', 'llm'];
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

  function follow(id) {
    source = new EventSource(`/v1/jobs/${id}/events`);
    source.onopen = () => text($('#status'), 'streaming');
    source.onerror = () => { if (source.readyState !== EventSource.CLOSED) text($('#status'), 'reconnecting…'); };
    const on = (type, handle) => source.addEventListener(type, e => handle(JSON.parse(e.data)));
    on('job.accepted', e => text($('#status'), `running (${e.jobId})`));
    on('stage.progress', e => progress(e.stages));
    on('track.found', e => row(e.track));
    on('track.enriched', e => row(e.track));
    on('item.shed', () => text($('#shed'), String(Number($('#shed').textContent) + 1)));
    on('item.failed', () => text($('#failed'), String(Number($('#failed').textContent) + 1)));
    on('llm.delta', e => $('#llm').append(e.text));
    on('llm.completed', e => text($('#llm'), e.text));
    for (const outcome of ['completed', 'failed', 'cancelled', 'timeout']) {
      on(`job.${outcome}`, e => {
        source.close(); // the terminal event is the last: do not reconnect
        text($('#status'), `${outcome}${e.reason ? ' (' + e.reason + ')' : ''}`);
      });
    }
  }

  $('#request').addEventListener('submit', async e => {
    e.preventDefault();
    reset();
    text($('#status'), 'starting…');
    const response = await fetch('/v1/jobs', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt: $('#prompt').value, trackCount: Number($('#count').value) }),
    });
    const body = await response.json();
    if (!response.ok) { problem(body); return; }
    follow(body.id);
  });
})();
