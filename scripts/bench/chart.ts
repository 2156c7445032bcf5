/** A small log-log line chart as SVG: time against the number of region controllers. */
export interface Series {
  name: string;
  points: Array<[number, number]>;
}

export interface Panel {
  title: string;
  series: Series[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const WIDTH = 420;
const HEIGHT = 300;
const MARGIN = { left: 62, right: 28, top: 30, bottom: 44 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panelSvg(panel: Panel, offsetX: number): string {
  const xs = panel.series.flatMap((series) => series.points.map(([x]) => x));
  const ys = panel.series.flatMap((series) => series.points.map(([, y]) => y));
  const [xMin, xMax] = [Math.log10(Math.min(...xs)), Math.log10(Math.max(...xs))];
  const [yMin, yMax] = [Math.floor(Math.log10(Math.min(...ys))), Math.ceil(Math.log10(Math.max(...ys)))];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => offsetX + MARGIN.left + ((Math.log10(x) - xMin) / (xMax - xMin || 1)) * plotW;
  const py = (y: number) => MARGIN.top + plotH - ((Math.log10(y) - yMin) / (yMax - yMin || 1)) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${offsetX + WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escape(panel.title)}</text>`);
  for (let decade = yMin; decade <= yMax; decade += 1) {
    const y = py(10 ** decade);
    parts.push(`<line x1="${offsetX + MARGIN.left}" x2="${offsetX + WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    const label = 10 ** decade >= 1000 ? `${10 ** (decade - 3)} s` : `${10 ** decade} ms`;
    parts.push(`<text x="${offsetX + MARGIN.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${label}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<text x="${px(x)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11">${x}</text>`);
  }
  parts.push(`<text x="${offsetX + MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="11">region controllers (N)</text>`);
  panel.series.forEach((series, index) => {
    const color = COLORS[index % COLORS.length];
    const path = series.points.map(([x, y], point) => `${point === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of series.points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
    parts.push(`<text x="${offsetX + MARGIN.left + 8}" y="${MARGIN.top + 14 + index * 15}" font-size="11" fill="${color}">${escape(series.name)}</text>`);
  });
  return parts.join('\n');
}

export function chartSvg(panels: Panel[]): string {
  const width = WIDTH * panels.length;
  const body = panels.map((panel, index) => panelSvg(panel, index * WIDTH)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
