; 社協デスク — Inno Setup 6 script: per-user install, no administrator rights.
;
; Build (see README.md; build.ps1 does all of it):
;   python -m PyInstaller --noconfirm --clean installers\pyinstaller\shakyo_desk.spec
;   iscc /DAppVersion=0.1.0 installers\windows\shakyo-desk.iss
; Output: installers\windows\Output\shakyo-desk-setup-<version>.exe
;
; Keep this file UTF-8 with a BOM (Inno Setup reads it as UTF-8 only then).
;
; The records live in %LOCALAPPDATA%\shakyo-desk\store, outside {app}. Setup never writes
; there and the uninstaller never removes it.

#ifndef AppVersion
  ; build.ps1 passes /DAppVersion=<shakyo_desk.__version__>; this marks a hand-made build.
  #define AppVersion "0.0.0-dev"
#endif
#ifndef FileVersion
  ; Up to four numbers for the setup file's version resource (build.ps1 derives it).
  #define FileVersion "0.0.0"
#endif

#define AppName "社協デスク"
#define AppNameEn "Shakyo Desk"
#define AppPublisher "社協デスク開発チーム"
#define AppExeName "shakyo-desk.exe"
; Folder under %LOCALAPPDATA%\Programs (what {autopf} means for a per-user install).
#define AppDirName "社協デスク"
; The app's data folder name (platformdirs user_data_dir("shakyo-desk")): only shown, never touched.
#define DataDirName "shakyo-desk"

[Setup]
; Never change AppId: it is how a newer setup finds and replaces the installed program.
AppId={{91822962-7A65-4B0C-A939-3E4406DFD363}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppCopyright=© {#AppPublisher}
VersionInfoVersion={#FileVersion}
VersionInfoProductName={#AppNameEn}
VersionInfoProductTextVersion={#AppVersion}
VersionInfoDescription={#AppName} セットアップ
; Per user, no administrator rights and no elevation prompt.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppDirName}
DisableDirPage=yes
DisableProgramGroupPage=yes
DefaultGroupName={#AppName}
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
; Close a running 社協デスク before files are replaced (Restart Manager); do not restart it.
CloseApplications=yes
CloseApplicationsFilter=*.exe,*.dll,*.pyd
RestartApplications=no
OutputDir=Output
OutputBaseFilename=shakyo-desk-setup-{#AppVersion}
SetupIconFile=..\..\resources\icons\shakyo-desk.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
ShowLanguageDialog=no
SetupLogging=yes
#ifdef Sign
; build.ps1 -Sign passes /DSign and /Sshakyosign="signtool.exe sign ... $f".
SignTool=shakyosign
SignedUninstaller=yes
#endif

[Languages]
Name: "japanese"; MessagesFile: "compiler:Languages\Japanese.isl"

[CustomMessages]
japanese.DataKept=記録のデータは削除していません。次のフォルダにそのまま残っています。%n%n%1%n%n社協デスクをもう一度インストールすると、同じデータをそのまま使えます。データを消すかどうかは、社協の中で決めてから、手順書（インストールと運用の手引き）に従ってください。
japanese.NoData=記録のデータのフォルダ（%1）はありませんでした。

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An update replaces the program folder's runtime completely, so no file of the old version
; lingers. {app} holds only the program; the records are elsewhere.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\..\dist\shakyo-desk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"; Comment: "{#AppName}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"; Comment: "{#AppName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#StringChange(AppName, '&', '&&')}}"; Flags: nowait postinstall skipifsilent

[Code]
function DataDir(): String;
begin
  Result := ExpandConstant('{localappdata}\{#DataDirName}');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and (not UninstallSilent) then
  begin
    if DirExists(DataDir()) then
      MsgBox(FmtMessage(CustomMessage('DataKept'), [DataDir()]), mbInformation, MB_OK)
    else
      MsgBox(FmtMessage(CustomMessage('NoData'), [DataDir()]), mbInformation, MB_OK);
  end;
end;
