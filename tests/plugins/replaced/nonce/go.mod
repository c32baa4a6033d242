module example.com/nonce

go 1.22
