//! The files of images: `DATA_DIR/media/AB/ID-WIDTH.jpg`, `AB` being the id's first two characters
//! (so that no directory holds more than a few thousand files). Their rows are in `images.rs`.

use std::path::{Path, PathBuf};

use crate::domain::ids::ImageId;
use crate::domain::photo::file_name;

/// Where images are kept on disk.
#[derive(Debug, Clone)]
pub struct MediaFiles {
    root: PathBuf,
}

impl MediaFiles {
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("media") }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of one rendition.
    pub fn path(&self, id: &ImageId, width: u32) -> PathBuf {
        self.root.join(&id.as_str()[..2]).join(file_name(id, width))
    }

    /// Writes the renditions of an image, each to a temporary file renamed into place, so that a
    /// reader never sees half a file and a crash leaves no file under a real name.
    pub async fn write(&self, id: &ImageId, renditions: &[(u32, &[u8])]) -> std::io::Result<()> {
        let dir = self.root.join(&id.as_str()[..2]);
        tokio::fs::create_dir_all(&dir).await?;
        for (width, bytes) in renditions {
            let path = self.path(id, *width);
            let partial = path.with_extension("jpg.partial");
            tokio::fs::write(&partial, bytes).await?;
            tokio::fs::rename(&partial, &path).await?;
        }
        Ok(())
    }

    /// Removes the files of an image; a file already gone is no error.
    pub async fn remove(&self, id: &ImageId, widths: &[u32]) {
        for width in widths {
            let path = self.path(id, *width);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => tracing::warn!(path = %path.display(), %error, "an image file could not be removed"),
            }
        }
    }
}
