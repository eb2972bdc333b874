//! The message catalogue: the page's words in English and Chinese, by key.
//!
//! A view asks for [`Text::get`] in the page's [`Lang`] (from `?lang=`, else
//! the browser's language). Every key has both languages: the match below
//! has no default arm, so a key without a translation does not compile,
//! and a test checks that none is empty or left in English.

use quorum_core::sim::BEHAVIOUR;

/// The page's language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// From a BCP 47 tag (`navigator.language`, `?lang=`): any Chinese
    /// (`zh`, `zh-CN`, `zh-Hant-TW`) is Chinese; everything else English.
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The tag for a `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
}

/// Where a run came from, for the words of a notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A share link.
    Link,
    /// An imported or loaded scenario file.
    File,
}

/// A message, with what it needs to say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    /// The run was made with an older simulator behaviour (see
    /// docs/share-links.md): it may differ from the one that was shared.
    OlderBehaviour { source: Source, made_with: u32 },
    /// The label of a notice's close button.
    Dismiss,
    /// The first-load module (`boot/`) could not load the full page; the
    /// reason follows in parentheses.
    PageNotLoaded,
    /// The page's translation could not be loaded: it is shown in English
    /// (the reason follows in parentheses).
    CatalogueNotLoaded,
}

impl Text {
    /// The message in `lang`.
    pub fn get(self, lang: Lang) -> String {
        match (self, lang) {
            (Text::OlderBehaviour { source, made_with }, Lang::En) => format!(
                "{} made with simulator behaviour {made_with}; this page runs behaviour {BEHAVIOUR}. The run may differ from the one that was shared.",
                match source {
                    Source::Link => "This link was",
                    Source::File => "This scenario was",
                }
            ),
            (Text::OlderBehaviour { source, made_with }, Lang::Zh) => format!(
                "{}由模拟器行为版本 {made_with} 生成；本页面运行的是行为版本 {BEHAVIOUR}。此次运行可能与分享时的运行不同。",
                match source {
                    Source::Link => "此链接",
                    Source::File => "此场景",
                }
            ),
            (Text::Dismiss, Lang::En) => "Dismiss".into(),
            (Text::Dismiss, Lang::Zh) => "关闭".into(),
            (Text::PageNotLoaded, Lang::En) => {
                "Quorum could not load completely: reload the page to try again".into()
            }
            (Text::PageNotLoaded, Lang::Zh) => "Quorum 未能完整加载：请重新加载页面再试".into(),
            (Text::CatalogueNotLoaded, Lang::En) => {
                "The page's translation could not be loaded: it is shown in English".into()
            }
            (Text::CatalogueNotLoaded, Lang::Zh) => "未能加载页面的中文翻译：页面以英文显示".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each key (a new key must be added here too).
    fn every_key() -> Vec<Text> {
        let mut v = vec![Text::Dismiss, Text::PageNotLoaded, Text::CatalogueNotLoaded];
        for source in [Source::Link, Source::File] {
            v.push(Text::OlderBehaviour {
                source,
                made_with: 1,
            });
        }
        v
    }

    #[test]
    fn every_key_has_english_and_chinese() {
        let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for t in every_key() {
            let (en, zh) = (t.get(Lang::En), t.get(Lang::Zh));
            assert!(!en.is_empty() && !cjk(&en), "{t:?}: {en}");
            assert!(cjk(&zh), "{t:?} is not translated: {zh}");
        }
    }

    #[test]
    fn the_behaviour_notice_names_both_behaviours() {
        let t = Text::OlderBehaviour {
            source: Source::Link,
            made_with: 1,
        };
        let en = t.get(Lang::En);
        assert!(en.starts_with("This link was made with simulator behaviour 1;"));
        assert!(en.contains(&format!("behaviour {BEHAVIOUR}")) && en.contains("may differ"));
        let zh = t.get(Lang::Zh);
        assert!(zh.contains("行为版本 1") && zh.contains(&format!("行为版本 {BEHAVIOUR}")));
        let file = Text::OlderBehaviour {
            source: Source::File,
            made_with: 1,
        };
        assert!(file.get(Lang::En).starts_with("This scenario was"));
    }

    #[test]
    fn languages_from_tags() {
        for (tag, want) in [
            ("zh", Lang::Zh),
            ("zh-CN", Lang::Zh),
            ("ZH-hant-TW", Lang::Zh),
            ("zh_TW", Lang::Zh),
            ("en-US", Lang::En),
            ("fr", Lang::En),
            ("", Lang::En),
            ("zhx", Lang::En),
        ] {
            assert_eq!(Lang::from_tag(tag), want, "{tag:?}");
        }
        assert_eq!(Lang::Zh.tag(), "zh-CN");
    }
}
