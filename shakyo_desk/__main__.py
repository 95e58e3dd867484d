from shakyo_desk.cli import main

raise SystemExit(main())
