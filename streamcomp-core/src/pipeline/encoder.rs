//! The encoding stage shared by offline renders and live streams: one video encoder, the audio
//! mixer and audio encoder, on one timeline. Frame `n` owns the samples
//! `round(n·48000/fps) .. round((n+1)·48000/fps)`, so audio never drifts from video however long
//! it runs, and a frame dropped by a live stream still gets its sound.

use crate::assets::AssetResolver;
use crate::audio::{AudioClips, Mixer, frame_samples};
use crate::encode::{
    AUDIO_RATE, AudioCodec, AudioEncoder, EncodeError, Packet, VIDEO_TIMESCALE, VideoEncoder,
    VideoSettings, new_audio_encoder, new_video_encoder,
};
use crate::error::Error;
use crate::frame::YuvFrame;
use crate::output::StreamInfo;
use crate::scene::Scene;

/// Audio settings of a stream.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct AudioSettings {
    pub(crate) codec: AudioCodec,
    pub(crate) bitrate_kbps: u32,
}

/// Video encoder + audio mixer + audio encoder. Packets of both tracks come out in the order
/// they were made; each track's timestamps rise.
pub(crate) struct EncodeStage {
    video: VideoSettings,
    encoder: Box<dyn VideoEncoder>,
    audio: Option<(Mixer, Box<dyn AudioEncoder>)>,
    /// Samples of audio encoded so far (on the scene timeline).
    audio_done: u64,
    /// AAC's priming is not signalled by our containers: the encoder is fed that far ahead so
    /// that decoded sound lines up with the picture.
    priming: u64,
    left: Vec<f32>,
    right: Vec<f32>,
    packets: Vec<Packet>,
}

impl EncodeStage {
    /// Opens the encoders. Audio files of `scene` are decoded now, so a missing one is an error
    /// before any frame is made.
    pub(crate) fn new(
        video: &VideoSettings,
        audio: Option<AudioSettings>,
        scene: &Scene,
        assets: &AssetResolver,
    ) -> Result<EncodeStage, Error> {
        let audio = match audio {
            Some(a) => {
                let mixer = Mixer::new(scene, assets)?;
                Some((mixer, new_audio_encoder(a.codec, a.bitrate_kbps)?))
            }
            None => None,
        };
        let encoder = new_video_encoder(video)?;
        let priming = audio.as_ref().map_or(0, |(_, a)| u64::from(a.priming()));
        let chunk = (AUDIO_RATE as f64 / video.fps).ceil() as usize + 1;
        Ok(EncodeStage {
            video: video.clone(),
            encoder,
            audio,
            audio_done: 0,
            priming,
            left: vec![0.0; chunk],
            right: vec![0.0; chunk],
            packets: Vec::new(),
        })
    }

    /// What muxers and publishers need to know before the first packet.
    pub(crate) fn stream_info(&self) -> StreamInfo {
        StreamInfo {
            width: self.video.width,
            height: self.video.height,
            fps: self.video.fps,
            video: self.video.codec,
            audio: self
                .audio
                .as_ref()
                .map(|(_, a)| (a.codec(), a.config().to_vec())),
        }
    }

    /// The audio files the mixer has decoded (shared: files decoded into it elsewhere are
    /// found here); `None` without audio.
    pub(crate) fn audio_clips(&self) -> Option<AudioClips> {
        self.audio.as_ref().map(|(mixer, _)| mixer.clips())
    }

    /// Takes in the audio layers of a changed scene (decoding new sources).
    pub(crate) fn update_scene(
        &mut self,
        scene: &Scene,
        assets: &AssetResolver,
    ) -> Result<(), Error> {
        if let Some((mixer, _)) = &mut self.audio {
            mixer.update(scene, assets)?;
        }
        Ok(())
    }

    /// Encodes frame `n` and the audio up to the end of frame `n`; returns the packets made.
    pub(crate) fn encode(&mut self, n: u64, yuv: &YuvFrame) -> Result<&[Packet], Error> {
        self.packets.clear();
        let pts = (n as f64 * VIDEO_TIMESCALE as f64 / self.video.fps).round() as i64;
        self.encoder.send_frame(Some(yuv), pts)?;
        while let Some(p) = self.encoder.receive_packet()? {
            self.packets.push(p);
        }
        self.encode_audio_until(frame_samples(n + 1, self.video.fps))?;
        Ok(&self.packets)
    }

    fn encode_audio_until(&mut self, until: u64) -> Result<(), EncodeError> {
        let Some((mixer, enc)) = &mut self.audio else {
            return Ok(());
        };
        while self.audio_done < until {
            let len = ((until - self.audio_done) as usize).min(self.left.len());
            let (l, r) = (&mut self.left[..len], &mut self.right[..len]);
            mixer.mix(self.audio_done + self.priming, l, r);
            self.packets.extend(enc.encode(l, r)?);
            self.audio_done += len as u64;
        }
        Ok(())
    }

    /// Flushes both encoders; returns the last packets.
    pub(crate) fn finish(&mut self) -> Result<&[Packet], Error> {
        self.packets.clear();
        self.encoder.send_frame(None, 0)?;
        while let Some(p) = self.encoder.receive_packet()? {
            self.packets.push(p);
        }
        if let Some((_, a)) = &mut self.audio {
            self.packets.extend(a.finish()?);
        }
        Ok(&self.packets)
    }
}
