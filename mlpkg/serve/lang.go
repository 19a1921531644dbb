package serve

import (
	"net/http"
	"sort"
	"strings"

	"golang.org/x/text/language"

	"github.com/animalcnn/animalcnn/mlpkg/imageio"
	"github.com/animalcnn/animalcnn/mlpkg/model"
)

// defaultLang is the language of the class names themselves and of the page
// when nothing else matches.
const defaultLang = model.DefaultLanguage

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
	Title, ChooseLabel, DropHint, Submit, Classifying, ResultHeading       string
	ProbabilitiesLabel, TopPrefix, ModelLabel, BackendLabel, AccuracyLabel string
	LanguageLabel, PreviewAlt, NoScript, ErrorHeading, TryAgain            string
	// Intro is the page's opening sentence; classesPlaceholder in it stands
	// for the model's classes, listed with List.
	Intro string
	// List writes a list of alternatives in this language: "A, B or C".
	List listStyle
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
		Title:              "Image classifier",
		Intro:              "Upload a photo of one of these: " + classesPlaceholder + ". A small convolutional network tells which it is.",
		List:               english,
		ChooseLabel:        "Photo (" + english.join(acceptedFormats) + ")",
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
		Title:              "画像分類",
		Intro:              classesPlaceholder + "のいずれかの写真をアップロードすると、小さな畳み込みニューラルネットワークがどれかを判定します。",
		List:               japanese,
		ChooseLabel:        "写真（" + japanese.join(acceptedFormats) + "）",
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
			CodeUnsupportedMediaType: "対応している画像形式（" + japanese.join(acceptedFormats) + "）ではありません。",
			CodeInvalidImage:         "画像が壊れているか途中で切れているため、読み込めません。",
			CodeTooManyPixels:        "画像の画素数が多すぎます。",
			CodeBusy:                 "サーバーが混み合っています。少し待ってからもう一度お試しください。",
			CodeInternal:             "サーバー内部でエラーが起きました。",
			CodeBadRequest:           "リクエストを読み取れませんでした。",
			CodeRequestTimeout:       "アップロードが時間内に届きませんでした。",
			CodePredictionFailed:     "モデルが判定に失敗しました。",
			CodeCrossOrigin:          "別のサイトのページからはアップロードできません。",
			CodeHostNotAllowed:       "このサーバーは localhost と許可されたホスト名でのみ利用できます。",
		},
	},
}

// classesPlaceholder marks where uiText.Intro lists the model's classes.
const classesPlaceholder = "{classes}"

// intro returns t.Intro for a model whose classes are named names.
func (t uiText) intro(names []string) string {
	return strings.ReplaceAll(t.Intro, classesPlaceholder, t.List.join(names))
}

// listStyle is how a language writes a list of alternatives: sep between
// items, last before the final one.
type listStyle struct{ sep, last string }

var (
	english  = listStyle{sep: ", ", last: " or "} // "A, B or C"
	japanese = listStyle{sep: "、", last: "、"}     // "A、B、C"
)

func (l listStyle) join(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], l.sep) + l.last + items[len(items)-1]
}

// acceptedFormats names the upload formats the server accepts
// (imageio.UntrustedFormats) for people: "JPEG", "PNG", …
var acceptedFormats = formatNames(imageio.UntrustedFormats())

// acceptTypes is the file input's accept list: "image/jpeg,image/png,…".
var acceptTypes = mediaTypes(imageio.UntrustedFormats())

// formatNames returns the usual written names of formats as imageio.Sniff
// names them ("jpeg" → "JPEG", "webp" → "WebP").
func formatNames(formats []string) []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		switch f {
		case "webp":
			names[i] = "WebP"
		default:
			names[i] = strings.ToUpper(f)
		}
	}
	return names
}

// mediaTypes returns the comma-separated media types of formats as
// imageio.Sniff names them.
func mediaTypes(formats []string) string {
	types := make([]string, len(formats))
	for i, f := range formats {
		types[i] = "image/" + f
	}
	return strings.Join(types, ",")
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
