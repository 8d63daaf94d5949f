module github.com/attestdb/attestdb

go 1.26
