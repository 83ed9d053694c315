from secxfer.cli import main

main()
