// Package mlpkg is the root of the project's library: image classification of
// photos (the course's monkey / boar / crow) with a small CNN in Go on GoMLX.
//
// Sub-packages, one per concern:
//
//   - imageio: decode any supported image file to RGB and resize it (the one
//     preprocessing function shared by training, prediction and serving).
//   - dataset: folder-per-class image trees → split, augmented NumPy arrays.
//   - fashion: the built-in default dataset (Debian's Fashion-MNIST) as a folder tree.
//   - crawl: Flickr search and polite, resumable downloads, with attribution.
//   - curate: cleaning any class folder before preparation: numbered contact
//     sheets that write exclude.txt, near-duplicate groups.
//   - model: the course's CNN, formulated to train on every GoMLX backend.
//   - train: the training loop, checkpoints and metrics history.
//   - eval: a classifier's results on labelled images (accuracy, loss,
//     confusion matrix, per-class precision and recall).
//   - predict: load a checkpoint once, classify images.
//   - serve: the web app (upload page and JSON API).
//   - backend: picks the GoMLX backend (pure Go, XLA CPU, XLA CUDA).
//   - display: helpers for Jupyter notebooks on the GoNB kernel (image grids,
//     tables, plots), the only package that imports gonbui.
//   - pipeline: the stages end to end with the repository's data layout, for
//     the notebooks (each makes sure what it needs exists, or creates it).
//
// Each of imageio, dataset, fashion, crawl, model, train, eval, predict,
// serve and backend has runnable examples of its main calls, in its
// example_test.go (shown with the package's documentation by pkgsite; go
// test runs them and checks their output). The command-line tool is in
// cmd/animalcnn.
package mlpkg
