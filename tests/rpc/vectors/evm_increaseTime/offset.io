// returns the total offset; the next block is that far ahead of the wall clock
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
>> {"jsonrpc":"2.0","id":1,"method":"evm_increaseTime","params":[3600]}
<< {"jsonrpc":"2.0","id":1,"result":3600}
>> {"jsonrpc":"2.0","id":2,"method":"evm_increaseTime","params":["0x3c"]}
<< {"jsonrpc":"2.0","id":2,"result":3660}
>> {"jsonrpc":"2.0","id":3,"method":"evm_mine"}
<< {"jsonrpc":"2.0","id":3,"result":"0x0"}
// speconly-next: the block's timestamp comes from the wall clock
>> {"jsonrpc":"2.0","id":4,"method":"eth_getBlockByNumber","params":["latest",false]}
<< {"jsonrpc":"2.0","id":4,"result":{"number":"0x1","hash":"0x17c905bb6e561a0d0025a4a031d7af732413a49faee768cd4b7d7b1f6a02c98b","parentHash":"0xd0620d92c239fc49255c7b6fabad81d811184ecf1da15924a7c5368f1d35ff1a","nonce":"0x0000000000000000","sha3Uncles":"0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347","logsBloom":"0x00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000","transactionsRoot":"0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421","stateRoot":"0x9bf273dc81fd230781f097c7a36cfed8a960910b3fb6bf59371b39771643ea50","receiptsRoot":"0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421","miner":"0xbcd4042de499d14e55001ccbb24a551f3b954096","difficulty":"0x0","totalDifficulty":"0x0","extraData":"0x","size":"0x26d","gasLimit":"0x1c9c380","gasUsed":"0x0","timestamp":"0x6b053f20","baseFeePerGas":"0x342770c0","mixHash":"0xc34321ee315c7607fe74ba5775af6343eb4069022b3a6e8ae54c7338f2708c52","uncles":[],"transactions":[]}}
