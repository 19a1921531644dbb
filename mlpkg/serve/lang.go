package serve

import (
	"net/http"
	"sort"

	"golang.org/x/text/language"

	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// defaultLang is the language of the class names themselves and of the page
// when nothing else matches.
const defaultLang = "en"

// languages picks a response language among those the model's metadata
// offers display names for, plus English.
type languages struct {
	tags    []string // defaultLang first, then sorted
	matcher language.Matcher
}

func newLanguages(meta *model.Meta) *languages {
	seen := map[string]bool{defaultLang: true}
	tags := []string{defaultLang}
	var extra []string
	for l := range meta.DisplayNames {
		if _, err := language.Parse(l); err == nil && !seen[l] {
			seen[l] = true
			extra = append(extra, l)
		}
	}
	sort.Strings(extra)
	tags = append(tags, extra...)
	parsed := make([]language.Tag, len(tags))
	for i, t := range tags {
		parsed[i] = language.Make(t)
	}
	return &languages{tags: tags, matcher: language.NewMatcher(parsed)}
}

// pick returns the language for r: ?lang= when it names (or closely matches)
// an offered language, else the best match for Accept-Language, else English.
func (l *languages) pick(r *http.Request) string {
	if q := r.URL.Query().Get("lang"); q != "" {
		if t, err := language.Parse(q); err == nil {
			if _, i, conf := l.matcher.Match(t); conf >= language.High {
				return l.tags[i]
			}
		}
	}
	if h := r.Header.Get("Accept-Language"); h != "" {
		if accepted, _, err := language.ParseAcceptLanguage(h); err == nil && len(accepted) > 0 {
			if _, i, conf := l.matcher.Match(accepted...); conf > language.No {
				return l.tags[i]
			}
		}
	}
	return defaultLang
}

// uiText is the page's own wording in one language. Class names come from
// the model's metadata; these are the strings around them.
type uiText struct {
	Title, Intro, ChooseLabel, DropHint, Submit, Classifying, ResultHeading string
	ProbabilitiesLabel, TopPrefix, ModelLabel, BackendLabel, AccuracyLabel  string
	LanguageLabel, PreviewAlt, NoScript, ErrorHeading, TryAgain             string
	// NetworkError is shown by the script when no answer came back (the
	// browser's "Failed to fetch"): the server is unreachable, or it closed
	// the connection early.
	NetworkError string
	// Errors translates API error codes for the page; missing codes show
	// the API's (English) message.
	Errors map[string]string
}

var uiTexts = map[string]uiText{
	"en": {
		Title:              "Animal classifier",
		Intro:              "Upload a photo of a monkey, a boar or a crow; a small convolutional network tells which it is.",
		ChooseLabel:        "Photo (JPEG, PNG, GIF, BMP or WebP)",
		DropHint:           "or drop a photo here",
		Submit:             "Classify",
		Classifying:        "Classifying…",
		ResultHeading:      "Result",
		ProbabilitiesLabel: "Probability of each class",
		TopPrefix:          "This looks like:",
		ModelLabel:         "Model",
		BackendLabel:       "backend",
		AccuracyLabel:      "test accuracy",
		LanguageLabel:      "Language",
		PreviewAlt:         "Preview of the chosen photo",
		NoScript:           "JavaScript is off: the form still works and shows the result on a new page.",
		ErrorHeading:       "The photo could not be classified",
		TryAgain:           "Try another photo",
		NetworkError:       "No answer from the server: it cannot be reached, or it closed the connection (a photo that is too large can cause this). Check the connection and try again.",
	},
	"ja": {
		Title:              "動物の画像分類",
		Intro:              "サル・イノシシ・カラスの写真をアップロードすると、小さな畳み込みニューラルネットワークがどれかを判定します。",
		ChooseLabel:        "写真（JPEG、PNG、GIF、BMP、WebP）",
		DropHint:           "または写真をここにドロップ",
		Submit:             "判定する",
		Classifying:        "判定中…",
		ResultHeading:      "結果",
		ProbabilitiesLabel: "各クラスの確率",
		TopPrefix:          "判定:",
		ModelLabel:         "モデル",
		BackendLabel:       "バックエンド",
		AccuracyLabel:      "テスト正解率",
		LanguageLabel:      "言語",
		PreviewAlt:         "選んだ写真のプレビュー",
		NoScript:           "JavaScript が無効です。フォームはそのまま使え、結果は新しいページに表示されます。",
		ErrorHeading:       "この写真は判定できませんでした",
		TryAgain:           "別の写真を試す",
		NetworkError:       "サーバーから応答がありません。接続できないか、接続が切られました（写真が大きすぎる場合にも起こります）。接続を確認して、もう一度お試しください。",
		Errors: map[string]string{
			CodeMissingFile:          "写真が選ばれていません。",
			CodeEmptyFile:            "ファイルが空です。",
			CodeBodyTooLarge:         "ファイルが大きすぎます。",
			CodeUnsupportedMediaType: "対応している画像形式（JPEG、PNG、GIF、BMP、WebP）ではありません。",
			CodeInvalidImage:         "画像が壊れているか途中で切れているため、読み込めません。",
			CodeTooManyPixels:        "画像の画素数が多すぎます。",
			CodeBusy:                 "サーバーが混み合っています。少し待ってからもう一度お試しください。",
			CodeInternal:             "サーバー内部でエラーが起きました。",
		},
	},
}

// textFor returns the page wording for lang, English when there is none.
func textFor(lang string) uiText {
	if t, ok := uiTexts[lang]; ok {
		return t
	}
	if b, _ := language.Make(lang).Base(); b.String() != "" {
		if t, ok := uiTexts[b.String()]; ok {
			return t
		}
	}
	return uiTexts[defaultLang]
}

// languageNames are the names of languages in themselves, for the switcher.
var languageNames = map[string]string{"en": "English", "ja": "日本語", "fr": "Français", "de": "Deutsch", "es": "Español", "zh": "中文", "ko": "한국어"}

func languageName(tag string) string {
	if n, ok := languageNames[tag]; ok {
		return n
	}
	return tag
}
