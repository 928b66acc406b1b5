module github.com/sokr-rs/sokr

go 1.26
