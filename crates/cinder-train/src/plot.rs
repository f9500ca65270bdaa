//! `learning_curve.png`: training and evaluation returns against environment steps or
//! gradient updates.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use crate::{TrainError, XAxis};

/// The image's width and height in pixels.
const SIZE: (u32, u32) = (960, 600);

/// DejaVu Sans (Bitstream Vera licence, `assets/DejaVuSans-LICENSE.txt`): plotters' bitmap
/// backend draws text only with a font registered in memory.
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and valid; a failure would only mean plots without text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// A tick label as a plain number: whole numbers without a decimal point (`20000`, not
/// `20000.`), finer ranges with as many decimals as their span needs.
fn plain(value: f64, span: f64) -> String {
    let decimals = if span >= 10.0 {
        0
    } else {
        (1.0 - span.max(1e-9).log10().floor()).clamp(1.0, 6.0) as usize
    };
    format!("{value:.decimals$}")
}

/// Draws the mean training return per iteration and the evaluation means against `axis`,
/// under `title`.
pub(crate) fn learning_curve(
    path: &Path,
    title: &str,
    train: &[(f64, f64)],
    eval: &[(f64, f64)],
    axis: XAxis,
) -> Result<(), TrainError> {
    register_font();
    let plot_error = |e: String| TrainError::Plot {
        path: path.to_path_buf(),
        reason: e,
    };
    let points = train.iter().chain(eval);
    let x_max = points.clone().map(|p| p.0).fold(1.0, f64::max);
    let (mut y_min, mut y_max) = points.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    if !y_min.is_finite() {
        (y_min, y_max) = (0.0, 1.0);
    }
    let pad = ((y_max - y_min) * 0.05).max(1e-3);
    let mut pixels = vec![0u8; SIZE.0 as usize * SIZE.1 as usize * 3];
    let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
    let draw = || -> Result<(), Box<dyn std::error::Error + '_>> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 28))
            .margin(16)
            .margin_right(40)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..x_max, (y_min - pad)..(y_max + pad))?;
        chart
            .configure_mesh()
            .x_desc(match axis {
                XAxis::Steps => "environment steps",
                XAxis::Updates => "gradient updates",
            })
            .y_desc("episode return")
            .x_label_formatter(&|x| plain(*x, x_max))
            .y_label_formatter(&|y| plain(*y, y_max - y_min + 2.0 * pad))
            .label_style(("sans-serif", 16))
            .draw()?;
        chart
            .draw_series(LineSeries::new(train.iter().copied(), &BLUE))?
            .label("training (mean per iteration)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
        chart
            .draw_series(LineSeries::new(eval.iter().copied(), RED.stroke_width(2)))?
            .label("evaluation (deterministic)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
        chart.draw_series(eval.iter().map(|&p| Circle::new(p, 3, RED.filled())))?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 16))
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| plot_error(e.to_string()))?;
    drop(root);
    write_png(path, &pixels).map_err(|e| plot_error(e.to_string()))
}

/// Encodes `pixels` (RGB rows of [`SIZE`]) as a PNG file at `path`.
fn write_png(path: &Path, pixels: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let mut encoder = png::Encoder::new(BufWriter::new(File::create(path)?), SIZE.0, SIZE.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    Ok(writer.finish()?)
}
