//! The Markdown's links to generated pages (`@/e/<id>/`, `@/e/<id>/2023/`, `@/y/2023/`),
//! checked against the page list itself: a link is good when the build writes that page in
//! every theme, so the check cannot drift from the pages produced. A link to a download
//! (`@/e/<id>/2023/<table>.csv`, `@/o/…`) is good when the build writes that file, as its
//! writers say (`download::written`, `opendata::written`, handed in by the caller).

use super::site::{PageKind, Site, in_every_theme};
use crate::base::diag::{Diagnostic, Diagnostics};
use crate::base::{FastMap, FastSet};
use crate::inputs::content::Generated;

/// Each link of `links` to a page that is not generated, or to a file that is not written
/// (`written`: whether the build writes a download of that path), is a located error; a plain
/// relative address (already refused) that names a generated page has its `@/` form suggested.
/// Returns, for each link, the page it names when it is written as `@/…` and the page is
/// generated (its fragment is checked against that page: `publish::ids::check`).
pub fn check(
    site: &Site,
    links: &[Generated],
    written: &dyn Fn(&str) -> bool,
    diags: &mut Diagnostics,
) -> Vec<Option<PageKind>> {
    if links.is_empty() {
        return Vec::new();
    }
    let wanted: FastSet<&str> = links.iter().map(|l| l.path.as_str()).collect();
    // (only the few pages linked are kept, not the paths of a national site's every page)
    let made: FastMap<String, PageKind> = site
        .page_list()
        .into_iter()
        .filter(|&k| in_every_theme(k))
        .map(|k| (site.path(k), k))
        .filter(|(p, _)| wanted.contains(p.as_str()))
        .collect();
    let mut kinds = Vec::with_capacity(links.len());
    for l in links {
        let kind = made.get(&l.path).copied();
        if l.relative {
            let generated = kind.is_some() || written(&l.path);
            if let Some(d) =
                diags.list.iter_mut().find(|d| generated && d.loc == Some(l.at) && d.code == "content.link_target")
            {
                d.notes = vec![format!("请写作 {}", l.form()).into()];
            }
            kinds.push(None);
            continue;
        }
        if kind.is_none() && !written(&l.path) {
            diags.push(
                Diagnostic::error(
                    "content.link_target",
                    format!(
                        "链接地址无效：本站不生成{} `{}`",
                        if l.path.ends_with(".html") { "页面" } else { "文件" },
                        l.form()
                    ),
                )
                .at(l.at)
                .label("此链接")
                .note(nearest(site, &l.path)),
            );
        }
        kinds.push(kind);
    }
    kinds
}

/// What the link may have meant: an entity of a near id, the years an entity or the site has
/// pages of, else the forms of the generated pages.
fn nearest(site: &Site, path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let years = |ys: &[i32]| ys.iter().map(i32::to_string).collect::<Vec<_>>().join("、");
    match parts.as_slice() {
        ["e", id, rest @ ..] => match site.registry.find(id) {
            None => {
                let ids = site.registry.entities.iter().map(|e| &*e.id);
                match crate::base::diag::suggest(id, ids) {
                    Some(near) => format!("披露主体登记表中没有标识 `{id}`；是否指 `{near}`？"),
                    None => format!("披露主体登记表中没有标识 `{id}`"),
                }
            }
            Some(e) if rest.len() > 1 => {
                let id = &site.registry.get(e).id;
                match site.years[e].as_slice() {
                    [] => format!("`{id}` 还没有任何年度的数据，只有主体页面 @/e/{id}/"),
                    ys => format!("`{id}` 有数据的年度：{}（如 @/e/{id}/{}/）", years(ys), ys[ys.len() - 1]),
                }
            }
            Some(e) => format!("`{}` 的页面写作 @/e/{}/", site.registry.get(e).id, site.registry.get(e).id),
        },
        ["y", ..] => match site.all_years().as_slice() {
            [] => "本站还没有任何年度的数据，没有年度概览页面".into(),
            ys => format!("有年度概览的年度：{}（如 @/y/{}/）", years(ys), ys[ys.len() - 1]),
        },
        _ => GENERATED_FORMS.into(),
    }
}

const GENERATED_FORMS: &str = "生成的页面写作 @/ 加其地址，以 / 结尾表示其中的 index.html：主体页面 @/e/主体标识/，主体年度页面 @/e/主体标识/2023/，年度概览 @/y/2023/，数据下载 @/o/";
