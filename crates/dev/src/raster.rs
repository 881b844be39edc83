//! Anti-aliased coverage of a glyph outline: exact signed-area accumulation
//! (the algorithm of font-rs, which fontdue also uses), with curves
//! flattened to lines.
//!
//! Units: pixels, y down; the outline must lie within `0..=width` ×
//! `0..=height` (callers size the canvas from the outline's bounding box;
//! points outside are clipped away, never written out of bounds). Output:
//! one coverage byte per pixel, row-major, 0 = none, 255 = full, non-zero
//! winding approximated by clamping |winding area| to 1, which is exact for
//! outlines without overlapping contours (font outlines).
//!
//! The hand-written rasteriser monogram drew glyphs with until `make bench`
//! showed ab_glyph_rasterizer (the same method) as fast under V8 and faster
//! natively, for the same wasm size; src/fonts/table.rs uses the crate. Kept
//! here only so the bench keeps measuring the crate against it.

/// Largest distance, in pixels, between a curve and the lines that stand in for it.
const FLATNESS: f32 = 0.1;
/// Most lines per curve segment (glyph curves are short; this bounds the work).
const MAX_SEGMENTS: f32 = 64.0;

/// A canvas accumulating the signed area that outline edges cover.
pub struct Canvas {
    width: usize,
    height: usize,
    /// Per-pixel area deltas; one spare cell so an edge on the right border
    /// of the last row has somewhere to carry to.
    acc: Vec<f32>,
    start: (f32, f32),
    pen: (f32, f32),
}

impl Canvas {
    pub fn new(width: usize, height: usize) -> Canvas {
        Canvas {
            width,
            height,
            acc: vec![0.0; width.saturating_mul(height).saturating_add(2)],
            start: (0.0, 0.0),
            pen: (0.0, 0.0),
        }
    }

    pub fn move_to(&mut self, x: f32, y: f32) {
        self.close();
        self.start = (x, y);
        self.pen = (x, y);
    }

    pub fn line_to(&mut self, x: f32, y: f32) {
        self.line(self.pen, (x, y));
        self.pen = (x, y);
    }

    pub fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let p0 = self.pen;
        let dev = (p0.0 - 2.0 * x1 + x).hypot(p0.1 - 2.0 * y1 + y);
        let n = segments(0.25 * dev);
        for i in 1..=n {
            let t = i as f32 / n as f32;
            let u = 1.0 - t;
            let px = u * u * p0.0 + 2.0 * u * t * x1 + t * t * x;
            let py = u * u * p0.1 + 2.0 * u * t * y1 + t * t * y;
            self.line_to(px, py);
        }
    }

    pub fn cubic_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let p0 = self.pen;
        let d1 = (p0.0 - 2.0 * x1 + x2).hypot(p0.1 - 2.0 * y1 + y2);
        let d2 = (x1 - 2.0 * x2 + x).hypot(y1 - 2.0 * y2 + y);
        let n = segments(0.75 * d1.max(d2));
        for i in 1..=n {
            let t = i as f32 / n as f32;
            let u = 1.0 - t;
            let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
            self.line_to(
                a * p0.0 + b * x1 + c * x2 + d * x,
                a * p0.1 + b * y1 + c * y2 + d * y,
            );
        }
    }

    /// Closes the current contour back to its start.
    pub fn close(&mut self) {
        if self.pen != self.start {
            self.line(self.pen, self.start);
            self.pen = self.start;
        }
    }

    /// The coverage bytes, `width * height`.
    pub fn coverage(mut self) -> Vec<u8> {
        self.close();
        let mut sum = 0.0f32;
        self.acc
            .iter()
            .take(self.width.saturating_mul(self.height))
            .map(|a| {
                sum += a;
                (sum.abs().min(1.0) * 255.0 + 0.5) as u8
            })
            .collect()
    }

    /// Adds `v` to the cell at column `x` of the row starting at `row`
    /// (column `width` is the next row's first cell, where a right-border
    /// edge carries to).
    fn add(&mut self, row: usize, x: usize, v: f32) {
        if let Some(a) = self.acc.get_mut(row.saturating_add(x)) {
            *a += v;
        }
    }

    /// Accumulates the signed area right of the edge `p0`→`p1` row by row:
    /// each pixel the edge crosses gets its share, and the remainder goes to
    /// the next pixel so that a running sum over the row gives coverage.
    fn line(&mut self, p0: (f32, f32), p1: (f32, f32)) {
        if (p0.1 - p1.1).abs() <= f32::EPSILON {
            return;
        }
        let (dir, p0, p1) = if p0.1 < p1.1 {
            (1.0, p0, p1)
        } else {
            (-1.0, p1, p0)
        };
        let w = self.width as f32;
        // Clip to the canvas: x into [0, w] (area left of the canvas lands
        // in its first column, which keeps the winding right), y by rows.
        let clamp_x = |x: f32| x.clamp(0.0, w);
        let dxdy = (p1.0 - p0.0) / (p1.1 - p0.1);
        let y_from = p0.1.max(0.0);
        let y_to = p1.1.min(self.height as f32);
        if y_from >= y_to {
            return;
        }
        let mut x = p0.0 + (y_from - p0.1) * dxdy;
        let mut y = y_from.floor();
        while y < y_to {
            let row = (y as usize).saturating_mul(self.width);
            let dy = (y + 1.0).min(y_to) - y.max(y_from);
            let x_next = x + dxdy * dy;
            let d = dy * dir;
            let (x0, x1) = if x < x_next { (x, x_next) } else { (x_next, x) };
            let (x0, x1) = (clamp_x(x0), clamp_x(x1));
            let x0_floor = x0.floor();
            let x0i = x0_floor as usize;
            let x1_ceil = x1.ceil();
            let x1i = x1_ceil as usize;
            let span = x1i.saturating_sub(x0i);
            if span <= 1 {
                // Within one pixel: split by the edge's mean position.
                let xm = 0.5 * (x0 + x1) - x0_floor;
                self.add(row, x0i, d - d * xm);
                self.add(row, x0i.saturating_add(1), d * xm);
            } else {
                let s = (x1 - x0).recip();
                let x0f = x0 - x0_floor;
                let a0 = 0.5 * s * (1.0 - x0f) * (1.0 - x0f);
                let x1f = x1 - x1_ceil + 1.0;
                let am = 0.5 * s * x1f * x1f;
                self.add(row, x0i, d * a0);
                if span == 2 {
                    self.add(row, x0i.saturating_add(1), d * (1.0 - a0 - am));
                } else {
                    let a1 = s * (1.5 - x0f);
                    self.add(row, x0i.saturating_add(1), d * (a1 - a0));
                    for xi in x0i.saturating_add(2)..x1i.saturating_sub(1) {
                        self.add(row, xi, d * s);
                    }
                    let a2 = a1 + span.saturating_sub(3) as f32 * s;
                    self.add(row, x1i.saturating_sub(1), d * (1.0 - a2 - am));
                }
                self.add(row, x1i, d * am);
            }
            x = x_next;
            y += 1.0;
        }
    }
}

/// Lines for a curve that `n` uniform chords approximate within `k / n²`
/// pixels (a quadratic: |p0 - 2p1 + p2| / 4; a cubic: 3/4 of its larger
/// second difference).
fn segments(k: f32) -> usize {
    (k / FLATNESS).sqrt().ceil().clamp(1.0, MAX_SEGMENTS) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(cov: &[u8]) -> f32 {
        cov.iter().map(|&c| f32::from(c) / 255.0).sum()
    }

    #[test]
    fn a_square_covers_its_area() {
        let mut c = Canvas::new(10, 10);
        c.move_to(2.5, 2.5);
        c.line_to(7.5, 2.5);
        c.line_to(7.5, 7.5);
        c.line_to(2.5, 7.5);
        let cov = c.coverage();
        assert!((total(&cov) - 25.0).abs() < 0.05, "{}", total(&cov));
        assert_eq!(cov[5 * 10 + 5], 255);
        assert_eq!(cov[5 * 10 + 2], 128);
        assert_eq!(cov[0], 0);
    }

    #[test]
    fn winding_direction_does_not_matter() {
        let mut a = Canvas::new(8, 8);
        a.move_to(1.0, 1.0);
        a.line_to(7.0, 1.0);
        a.line_to(4.0, 7.0);
        let mut b = Canvas::new(8, 8);
        b.move_to(1.0, 1.0);
        b.line_to(4.0, 7.0);
        b.line_to(7.0, 1.0);
        assert_eq!(a.coverage(), b.coverage());
    }

    #[test]
    fn a_circle_of_curves_covers_pi_r_squared() {
        // Four cubic quarter-arcs of radius 20 around (25, 25).
        let (cx, cy, r, k) = (25.0, 25.0, 20.0, 0.552_284_8 * 20.0);
        let mut c = Canvas::new(50, 50);
        c.move_to(cx + r, cy);
        c.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
        c.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
        c.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
        c.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
        let area = total(&c.coverage());
        let want = std::f32::consts::PI * r * r;
        assert!((area - want).abs() / want < 0.005, "{area} vs {want}");
    }

    #[test]
    fn a_hole_stays_empty() {
        let mut c = Canvas::new(12, 12);
        // Outer clockwise, inner counter-clockwise, as fonts draw holes.
        c.move_to(1.0, 1.0);
        c.line_to(11.0, 1.0);
        c.line_to(11.0, 11.0);
        c.line_to(1.0, 11.0);
        c.move_to(3.0, 3.0);
        c.line_to(3.0, 9.0);
        c.line_to(9.0, 9.0);
        c.line_to(9.0, 3.0);
        let cov = c.coverage();
        assert_eq!(cov[6 * 12 + 6], 0);
        assert_eq!(cov[2 * 12 + 2], 255);
    }

    #[test]
    fn points_outside_never_write_out_of_bounds() {
        let mut c = Canvas::new(4, 4);
        c.move_to(-10.0, -10.0);
        c.line_to(20.0, -5.0);
        c.quad_to(30.0, 30.0, 2.0, 20.0);
        c.cubic_to(-9.0, 9.0, 1e9, -1e9, -10.0, -10.0);
        assert_eq!(c.coverage().len(), 16);
        assert_eq!(Canvas::new(0, 0).coverage().len(), 0);
    }
}
