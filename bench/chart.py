"""chart.py - the SVG chart of bench/run, written by hand (no matplotlib).

One panel per comparison (resc/ONNX Runtime, resc/PyTorch), one row per
model, one bar per thread count.  The axis is logarithmic and the bars
start at 1, so 0.5 (resc twice as fast) and 2 (twice as slow) are the
same length on either side.
"""
import math
from xml.sax.saxutils import escape

COLORS = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377"]
PANELS = [("resc/ort", "resc / ONNX Runtime"), ("resc/torch", "resc / PyTorch")]
NAME_W, PANEL_W, GAP_W, BAR_H, TOP, BOTTOM = 170, 340, 70, 11, 76, 30


def write(path, rows, meta):
    models = list(dict.fromkeys(r["model"] for r in rows))
    threads = sorted({r["threads"] for r in rows})
    panels = [(k, t) for k, t in PANELS if any(k in r for r in rows)]
    by = {(r["model"], r["threads"]): r for r in rows}
    row_h = BAR_H * max(len(threads), 1) + 8
    width = NAME_W + len(panels) * (PANEL_W + GAP_W)
    height = TOP + row_h * len(models) + BOTTOM

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="18" font-size="14" font-weight="bold">resc latency relative to '
           f'ONNX Runtime and PyTorch (median; below 1: resc faster)</text>',
           f'<text x="10" y="34" fill="#555">{escape(meta.get("date", ""))} · '
           f'{escape(str(meta.get("cpu", "")))}, {meta.get("cores", "?")} cores · '
           f'{meta.get("iters", "?")} interleaved runs per engine</text>']
    # Legend: one swatch per thread count.
    for i, n in enumerate(threads):
        x = 10 + i * 90
        out.append(f'<rect x="{x}" y="42" width="10" height="10" fill="{COLORS[i % len(COLORS)]}"/>')
        out.append(f'<text x="{x + 14}" y="51">{n} thread{"s" if n > 1 else ""}</text>')

    for p, (key, title) in enumerate(panels):
        x0 = NAME_W + p * (PANEL_W + GAP_W)
        # Axis range: powers of two around the panel's ratios, at least 1/2 .. 2.
        ratios = [r[key] for r in rows if key in r]
        lo = 2.0 ** math.floor(math.log2(min([0.5] + [x / 1.15 for x in ratios])))
        hi = 2.0 ** math.ceil(math.log2(max([2.0] + [x * 1.15 for x in ratios])))

        def X(v, x0=x0, lo=lo, hi=hi):
            return x0 + PANEL_W * (math.log2(v) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))

        y_end = TOP + row_h * len(models)
        out.append(f'<text x="{x0 + PANEL_W / 2}" y="{TOP - 6}" text-anchor="middle" '
                   f'font-weight="bold">{escape(title)}</text>')
        # Grid at powers of two; the line at 1 is the break-even.
        v = lo
        while v <= hi * 1.0001:
            stroke = "#000" if abs(v - 1) < 1e-9 else "#ddd"
            out.append(f'<line x1="{X(v):.1f}" y1="{TOP}" x2="{X(v):.1f}" y2="{y_end}" '
                       f'stroke="{stroke}"/>')
            label = f"{v:g}" if v >= 1 else f"1/{1 / v:g}"
            out.append(f'<text x="{X(v):.1f}" y="{y_end + 14}" text-anchor="middle">{label}</text>')
            v *= 2
        for m, model in enumerate(models):
            for t, n in enumerate(threads):
                r = by.get((model, n))
                if not r or key not in r:
                    continue
                val = r[key]
                y = TOP + m * row_h + 4 + t * BAR_H
                a, b = sorted((X(1), X(val)))
                out.append(f'<rect x="{a:.1f}" y="{y}" width="{max(b - a, 1):.1f}" '
                           f'height="{BAR_H - 2}" fill="{COLORS[t % len(COLORS)]}">'
                           f'<title>{escape(model)}, {n} threads: {val:.3f}</title></rect>')
                tx, anchor = (b + 3, "start") if val >= 1 else (a - 3, "end")
                out.append(f'<text x="{tx:.1f}" y="{y + BAR_H - 3}" font-size="9" '
                           f'text-anchor="{anchor}">{val:.2f}</text>')
    for m, model in enumerate(models):
        y = TOP + m * row_h + row_h / 2 + 4
        out.append(f'<text x="{NAME_W - 8}" y="{y:.1f}" text-anchor="end">{escape(model)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
