module example.com/wslib

go 1.27.3
