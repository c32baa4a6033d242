module example.com/bigrepo/tools

go 1.27.3
