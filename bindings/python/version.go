package facade

// version is SOKR's version, written here and nowhere else: setup.py reads it for the
// Python package's metadata (pyproject.toml declares the version dynamic), and sokr checks
// at import that the extension and the installed metadata agree. It must be a normalized
// PEP 440 version (https://peps.python.org/pep-0440/#normalization), for example "0.1.0" or
// "0.2.0rc1", so that the metadata pip records is this exact string.
const version = "0.1.0"

// Version returns SOKR's version.
func Version() string { return version }
