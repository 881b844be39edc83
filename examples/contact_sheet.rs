//! Renders a grid of avatars, one per name, into one PNG, so a person can
//! look at every script at once (`make contact-sheet`):
//! `cargo run --release --example contact_sheet -- [--guides] NAMES.txt OUT.png`
//!
//! NAMES.txt has one `slug<TAB>name[<TAB>query]` a line (`#` comments), like
//! `tests/scripts.txt`. Each name is drawn at 128 px with its slug below, and
//! again at 32 px in a strip underneath. `--guides` draws the centre lines
//! and the 128 px body height band over each avatar, to judge centring.
use monogram::{handle_once, Config, HttpRequest, Outcome};
use monogram_dev::scripts::{parse_script_list, percent_encode};

const BIG: u32 = 128;
const SMALL: u32 = 32;
const COLUMNS: u32 = 8;
const PAD: u32 = 12;
const LABEL: u32 = 18;
const PAPER: [u8; 3] = [0xF4, 0xF4, 0xF4];
const LABEL_FONT: &[u8] = include_bytes!("../fonts/NotoSans-Bold.subset.ttf");

struct Sheet {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Sheet {
    fn new(width: u32, height: u32) -> Sheet {
        let rgb = PAPER.repeat((width * height) as usize);
        Sheet { width, height, rgb }
    }

    /// Blends `colour` at `alpha` (0..=255) into pixel (x, y).
    fn blend(&mut self, x: u32, y: u32, colour: [u8; 3], alpha: u8) {
        if x >= self.width || y >= self.height {
            return;
        }
        let i = ((y * self.width + x) * 3) as usize;
        for (k, c) in colour.iter().enumerate() {
            let dst = u32::from(self.rgb[i + k]);
            let a = u32::from(alpha);
            self.rgb[i + k] = ((u32::from(*c) * a + dst * (255 - a) + 127) / 255) as u8;
        }
    }

    fn paste_png(&mut self, png_bytes: &[u8], x0: u32, y0: u32) -> u32 {
        let mut d = png::Decoder::new(std::io::Cursor::new(png_bytes));
        d.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
        let mut r = d.read_info().expect("png header");
        let mut buf = vec![0; r.output_buffer_size().expect("png size")];
        let info = r.next_frame(&mut buf).expect("png frame");
        for y in 0..info.height {
            for x in 0..info.width {
                let i = ((y * info.width + x) * 4) as usize;
                let px = [buf[i], buf[i + 1], buf[i + 2]];
                self.blend(x0 + x, y0 + y, px, buf[i + 3]);
            }
        }
        info.width
    }

    fn label(&mut self, font: &fontdue::Font, text: &str, x_centre: u32, y_top: u32) {
        let px = 11.0;
        let width: f32 = text
            .chars()
            .map(|c| font.metrics(c, px).advance_width)
            .sum();
        let mut pen = x_centre as f32 - width / 2.0;
        let baseline = y_top as f32 + 12.0;
        for c in text.chars() {
            let (m, cov) = font.rasterize(c, px);
            for (i, a) in cov.iter().enumerate() {
                let x = pen.round() as i32 + m.xmin + (i % m.width.max(1)) as i32;
                let y = baseline as i32 - m.ymin - m.height as i32 + (i / m.width.max(1)) as i32;
                if x >= 0 && y >= 0 {
                    self.blend(x as u32, y as u32, [0x55, 0x55, 0x55], *a);
                }
            }
            pen += m.advance_width;
        }
    }

    fn guides(&mut self, x0: u32, y0: u32, size: u32) {
        let guide = [0xFF, 0x00, 0xFF];
        let mid = size / 2;
        // The text body height for two initials is 36% of the edge.
        let band = (size as f32 * 0.36 / 2.0).round() as u32;
        for t in 0..size {
            self.blend(x0 + mid, y0 + t, guide, 110);
            self.blend(x0 + t, y0 + mid, guide, 110);
            self.blend(x0 + t, y0 + mid - band, guide, 60);
            self.blend(x0 + t, y0 + mid + band, guide, 60);
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("png header");
        w.write_image_data(&self.rgb).expect("png data");
        w.finish().expect("png end");
        out
    }
}

fn avatar(name: &str, query: &str, size: u32) -> Vec<u8> {
    let sep = if query.is_empty() { "" } else { "&" };
    let path = format!("/avatar/{}?size={size}{sep}{query}", percent_encode(name));
    let req = HttpRequest {
        method: "GET",
        path: &path,
        if_none_match: None,
        accept: None,
    };
    match handle_once(&Config::default(), &req) {
        Outcome::Respond(r) if r.status == 200 => r.body,
        other => panic!("{path}: {other:?}"),
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let guides = args.iter().any(|a| a == "--guides");
    args.retain(|a| a != "--guides");
    let (Some(list), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: contact_sheet [--guides] NAMES.txt OUT.png");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(list).expect("names file");
    let names: Vec<(&str, &str, &str)> = parse_script_list(&text)
        .into_iter()
        .map(|c| (c.slug, c.name, c.query))
        .collect();
    let n = names.len() as u32;
    let rows = n.div_ceil(COLUMNS);
    let cell_w = BIG + 2 * PAD;
    let cell_h = BIG + PAD + LABEL;
    let small_cell = SMALL + PAD;
    let small_rows = n.div_ceil(COLUMNS * 3);
    let width = COLUMNS * cell_w;
    let height = rows * cell_h + PAD + small_rows * small_cell + PAD;
    let mut sheet = Sheet::new(width, height);
    let font = fontdue::Font::from_bytes(LABEL_FONT, fontdue::FontSettings::default())
        .expect("label font");
    for (i, (slug, name, query)) in names.iter().enumerate() {
        let (col, row) = (i as u32 % COLUMNS, i as u32 / COLUMNS);
        let (x, y) = (col * cell_w + PAD, row * cell_h + PAD);
        sheet.paste_png(&avatar(name, query, BIG), x, y);
        if guides {
            sheet.guides(x, y, BIG);
        }
        sheet.label(&font, slug, x + BIG / 2, y + BIG + 2);
        println!("{slug:>22}  {name}");
    }
    let y_small = rows * cell_h + PAD;
    for (i, (_, name, query)) in names.iter().enumerate() {
        let per_row = COLUMNS * 3;
        let (col, row) = (i as u32 % per_row, i as u32 / per_row);
        let x = PAD + col * (width - 2 * PAD) / per_row;
        sheet.paste_png(&avatar(name, query, SMALL), x, y_small + row * small_cell);
    }
    std::fs::write(out, sheet.encode()).expect("write the sheet");
    eprintln!("{out}: {n} names, {width}x{height}");
}
