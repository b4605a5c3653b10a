from soc.cli import main

main()
