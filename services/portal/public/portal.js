// Fills the status table from each service's /readyz through the gateway.
const rows = document.querySelectorAll('#status tr[data-service]');

async function check(row) {
  const cell = row.querySelector('.state');
  try {
    const res = await fetch(`/api/${row.dataset.service}/readyz`, { cache: 'no-store' });
    const ok = res.ok;
    cell.textContent = ok ? '就绪 ready' : `不可用 unavailable (${res.status})`;
    row.dataset.state = ok ? 'ready' : 'unavailable';
  } catch {
    cell.textContent = '不可达 unreachable';
    row.dataset.state = 'unreachable';
  }
}

for (const row of rows) void check(row);
