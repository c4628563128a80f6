//! SVG charts drawn with plotters: lines, stacked areas, percentile plots
//! and categories, legends outside the plot, colours by meaning, bounds
//! drawn.

use crate::model::{Series, SeriesKind};
use plotters::prelude::*;
use std::collections::BTreeMap;

/// Maps a percentile (50 … 100) onto the distribution chart's axis,
/// log10(1/(1−p)): 90 → 1, 99 → 2, 99.9 → 3.
pub(super) fn pct_axis(p: f64) -> f64 {
    (1.0 / (1.0 - (p / 100.0).min(0.999_999_99))).log10()
}

/// The percentile an axis position stands for, as a label.
pub(super) fn pct_label(u: f64) -> String {
    let p = 100.0 * (1.0 - 10f64.powf(-u));
    let decimals = (u.ceil() as i64 - 2).clamp(0, 6) as usize;
    format!("{p:.decimals$}")
}

/// Colour by meaning: outcome series keep one colour everywhere (2xx and
/// passed green, 5xx and failed red…); any other series takes the next
/// colour of a neutral palette that has neither red nor green, so a chart
/// of one ordinary series is blue, never the colour of a failure.
pub(super) fn colour_for(name: &str, i: usize) -> RGBColor {
    let known: [(&str, RGBColor); 11] = [
        ("2xx", RGBColor(46, 139, 87)),
        ("passed", RGBColor(46, 139, 87)),
        ("401", RGBColor(230, 145, 56)),
        ("403", RGBColor(214, 188, 50)),
        ("429", RGBColor(128, 90, 190)),
        ("5xx", RGBColor(200, 40, 50)),
        ("failed", RGBColor(200, 40, 50)),
        ("skipped", RGBColor(214, 188, 50)),
        ("transport", RGBColor(40, 40, 40)),
        ("no decision", RGBColor(40, 40, 40)),
        ("other status", RGBColor(150, 150, 150)),
    ];
    const NEUTRAL: [RGBColor; 6] = [
        RGBColor(47, 93, 158),
        RGBColor(230, 145, 56),
        RGBColor(128, 90, 190),
        RGBColor(23, 140, 150),
        RGBColor(150, 110, 70),
        RGBColor(110, 110, 120),
    ];
    let base = name.trim_end_matches(" (baseline)");
    known
        .iter()
        .find(|(k, _)| base.contains(k))
        .map_or(NEUTRAL[i % NEUTRAL.len()], |(_, c)| *c)
}

/// The colour of a bound line (the page's ink).
pub(super) const BOUND_INK: RGBColor = RGBColor(29, 35, 48);

/// Chart text, drawn at 1:1 on the page, on the page's type scale (body
/// 15 px, tables 13.8 px): title 16 px, axis names 14 px, tick labels
/// 13 px. Plotters' SVG backend writes a font size of `size / 1.24`, so
/// sizes are given as px × 1.24.
pub(super) const TITLE_PX: f64 = 16.0 * 1.24;
pub(super) const AXIS_PX: f64 = 14.0 * 1.24;
pub(super) const TICK_PX: f64 = 13.0 * 1.24;

/// A series name as the legend shows it: without the `N. ` that orders
/// stacked series (`1. 2xx` → `2xx`).
pub(super) fn legend_name(name: &str) -> String {
    match name.split_once(". ") {
        Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            rest.to_owned()
        }
        _ => name.to_owned(),
    }
}

pub(super) type Lines<'a> = Vec<(String, Vec<(f64, f64)>, bool)>;

/// The points to draw: the series' lines, then the baseline's (dashed),
/// each with x mapped onto the chart's axis.
pub(super) fn lines_to_draw<'a>(series: &'a Series, baseline: Option<&'a Series>) -> Lines<'a> {
    let pct = series.kind == SeriesKind::Percentile;
    let mut out: Lines<'a> = Vec::new();
    for (source, dashed) in [(Some(series), false), (baseline, true)] {
        let Some(src) = source else { continue };
        for (name, pts) in &src.lines {
            let label = if dashed {
                format!("{name} (baseline)")
            } else {
                name.clone()
            };
            out.push((label, pts.clone(), dashed));
        }
    }
    if pct {
        // The maximum (p = 100) sits half a decade past the last percentile.
        let last = out
            .iter()
            .flat_map(|l| l.1.iter())
            .filter(|p| p.0 < 100.0)
            .map(|p| pct_axis(p.0))
            .fold(pct_axis(50.0), f64::max);
        for l in &mut out {
            for p in &mut l.1 {
                p.0 = if p.0 >= 100.0 {
                    last + 0.5
                } else {
                    pct_axis(p.0)
                };
            }
        }
    }
    out
}

/// The axes' ranges and the bar slot width of a chart.
#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    x0: f64,
    x1: f64,
    y_top: f64,
    step: f64,
}

/// The ranges that fit `all` points (stacked: the tallest stack), bars
/// padded half a slot either side, categories one slot each, percentile
/// plots from p50.
pub(super) fn frame(
    kind: SeriesKind,
    categories: usize,
    lines: &Lines<'_>,
    all: &[(f64, f64)],
) -> Frame {
    let (mut x0, mut x1) = all
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let mut step = f64::INFINITY;
    let mut xs: Vec<f64> = all.iter().map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    for w in xs.windows(2) {
        step = step.min(w[1] - w[0]);
    }
    if !step.is_finite() {
        step = 1.0;
    }
    let y_top = match kind {
        SeriesKind::Stacked => {
            let mut totals: BTreeMap<(bool, i64), f64> = BTreeMap::new();
            for (_, pts, dashed) in lines {
                for (x, y) in pts {
                    *totals.entry((*dashed, (x * 1000.0) as i64)).or_default() += y;
                }
            }
            totals.values().copied().fold(0.0, f64::max)
        }
        _ => all.iter().fold(0.0_f64, |a, p| a.max(p.1)),
    } * 1.1
        + f64::EPSILON;
    match kind {
        _ if categories > 0 => {
            x0 = -0.5;
            x1 = categories as f64 - 0.5;
        }
        SeriesKind::Line | SeriesKind::Percentile => {
            if (x1 - x0).abs() < f64::EPSILON {
                x0 -= 1.0;
                x1 += 1.0;
            }
        }
        SeriesKind::Bars | SeriesKind::Histogram | SeriesKind::Stacked => {
            x0 -= step / 2.0 + step * 0.1;
            x1 += step / 2.0 + step * 0.1;
        }
    }
    if kind == SeriesKind::Percentile {
        x0 = pct_axis(50.0);
    }
    Frame {
        x0,
        x1,
        y_top,
        step,
    }
}

pub(super) type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    plotters::coord::cartesian::Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// A baseline's stacked totals as one dashed line over the current bars.
pub(super) fn draw_stacked_totals(
    chart: &mut Chart<'_, '_>,
    baseline: &Series,
) -> Result<(), crate::error::Error> {
    let mut totals: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for pts in baseline.lines.values() {
        for (x, y) in pts {
            totals.entry((x * 1000.0) as i64).or_insert((*x, 0.0)).1 += y;
        }
    }
    let style = BLACK.mix(0.6).stroke_width(2);
    chart
        .draw_series(DashedLineSeries::new(totals.values().copied(), 6, 4, style))
        .map_err(crate::error::Error::Draw)?;
    Ok(())
}

/// One entry of a chart's legend: the name, its colour, and how it is
/// drawn (`line`, `dashed`, `box`, `outlined`).
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// As the legend shows it.
    pub name: String,
    /// `#rrggbb`.
    pub colour: String,
    /// `line`, `dashed` or `box`.
    pub mark: &'static str,
}

/// The legend of a chart: every series (and the baseline's), then every
/// bound. Drawn by the page beside the chart, never over its data.
pub fn legend(series: &Series, baseline: Option<&Series>) -> Vec<LegendEntry> {
    let lines = lines_to_draw(series, baseline);
    let n_plain = lines.iter().filter(|l| !l.2).count().max(1);
    let hex = |c: RGBColor| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2);
    let mut out = Vec::new();
    for (i, (name, _, dashed)) in lines.iter().enumerate() {
        if *dashed && series.kind == SeriesKind::Stacked {
            continue;
        }
        let colour = colour_for(name, if *dashed { i - n_plain } else { i });
        let mark = match (series.kind, *dashed) {
            (SeriesKind::Line | SeriesKind::Percentile, false) => "line",
            (SeriesKind::Line | SeriesKind::Percentile, true) => "dashed",
            (_, false) => "box",
            (_, true) => "outlined",
        };
        out.push(LegendEntry {
            name: legend_name(name),
            colour: hex(colour),
            mark,
        });
    }
    if series.kind == SeriesKind::Stacked && baseline.is_some() {
        out.push(LegendEntry {
            name: "total (baseline)".into(),
            colour: hex(BLACK),
            mark: "dashed",
        });
    }
    for b in &series.bounds {
        out.push(LegendEntry {
            name: b.label.clone(),
            colour: hex(BOUND_INK),
            mark: "dashed",
        });
    }
    out
}

/// One chart as an SVG string, with `baseline`'s lines overlaid (dashed or
/// outlined) when given, and its bounds as dashed horizontal lines. Its
/// legend is [`legend`], drawn by the page outside the plot.
///
/// # Errors
/// No data, or a drawing error.
pub fn chart_svg(
    series: &Series,
    baseline: Option<&Series>,
) -> Result<String, crate::error::Error> {
    let lines = lines_to_draw(series, baseline);
    let all: Vec<(f64, f64)> = lines.iter().flat_map(|l| l.1.iter().copied()).collect();
    if all.is_empty() {
        return Err(crate::error::Error::NoData);
    }
    let kind = series.kind;
    let cats = &series.categories;
    let Frame {
        x0,
        x1,
        y_top,
        step,
    } = frame(kind, cats.len(), &lines, &all);
    // A bound is always in view.
    let y_top = series
        .bounds
        .iter()
        .fold(y_top, |top, b| top.max(b.value * 1.15));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (540, 330)).into_drawing_area();
        root.fill(&WHITE).map_err(crate::error::Error::Draw)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&series.title, ("sans-serif", TITLE_PX))
            .margin(12)
            // Room for the last x tick label, centred on the axis' end.
            .margin_right(30)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, 0.0..y_top)
            .map_err(crate::error::Error::Draw)?;
        let cat_label = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                cats.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        };
        let pct_fmt = |u: &f64| pct_label(*u);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&series.x_label)
            .y_desc(&series.y_label)
            .axis_desc_style(("sans-serif", AXIS_PX))
            .label_style(("sans-serif", TICK_PX))
            .light_line_style(RGBColor(235, 235, 235));
        if !cats.is_empty() {
            mesh.x_labels(cats.len() * 2 + 1)
                .x_label_formatter(&cat_label);
        } else if kind == SeriesKind::Percentile {
            mesh.x_labels(((x1 - x0).ceil() as usize + 1).max(2))
                .x_label_formatter(&pct_fmt);
        }
        mesh.draw().map_err(crate::error::Error::Draw)?;
        let n_plain = lines.iter().filter(|l| !l.2).count().max(1);
        let mut stack_base: BTreeMap<i64, f64> = BTreeMap::new();
        for (i, (name, points, dashed)) in lines.iter().enumerate() {
            let colour = colour_for(name, if *dashed { i - n_plain } else { i });
            let style = if *dashed {
                colour.mix(0.55).stroke_width(2)
            } else {
                colour.stroke_width(2)
            };
            match kind {
                SeriesKind::Line | SeriesKind::Percentile => {
                    if *dashed {
                        chart
                            .draw_series(DashedLineSeries::new(points.iter().copied(), 6, 4, style))
                            .map_err(crate::error::Error::Draw)?;
                    } else {
                        chart
                            .draw_series(LineSeries::new(points.iter().copied(), style))
                            .map_err(crate::error::Error::Draw)?;
                        if points.len() <= 60 {
                            chart
                                .draw_series(
                                    points.iter().map(|p| Circle::new(*p, 3, colour.filled())),
                                )
                                .map_err(crate::error::Error::Draw)?;
                        }
                    }
                }
                SeriesKind::Stacked => {
                    let w = step * 0.8;
                    if *dashed {
                        continue; // the baseline's totals are drawn below
                    }
                    chart
                        .draw_series(points.iter().map(|(x, y)| {
                            let key = (x * 1000.0) as i64;
                            let base = stack_base.get(&key).copied().unwrap_or(0.0);
                            stack_base.insert(key, base + y);
                            Rectangle::new(
                                [(x - w / 2.0, base), (x + w / 2.0, base + y)],
                                colour.filled(),
                            )
                        }))
                        .map_err(crate::error::Error::Draw)?;
                }
                SeriesKind::Bars | SeriesKind::Histogram => {
                    let slots = lines.len() as f64;
                    let w = step * 0.8 / slots;
                    let offset = (i as f64 - (slots - 1.0) / 2.0) * w;
                    let fill = if *dashed {
                        colour.mix(0.35).filled()
                    } else {
                        colour.filled()
                    };
                    chart
                        .draw_series(points.iter().map(|(x, y)| {
                            Rectangle::new(
                                [(x - w / 2.0 + offset, 0.0), (x + w / 2.0 + offset, *y)],
                                fill,
                            )
                        }))
                        .map_err(crate::error::Error::Draw)?;
                }
            }
        }
        if kind == SeriesKind::Stacked {
            if let Some(b) = baseline {
                draw_stacked_totals(&mut chart, b)?;
            }
        }
        for b in &series.bounds {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, b.value), (x1, b.value)],
                    8,
                    5,
                    BOUND_INK.stroke_width(2),
                ))
                .map_err(crate::error::Error::Draw)?;
        }
        root.present().map_err(crate::error::Error::Draw)?;
    }
    Ok(svg)
}
