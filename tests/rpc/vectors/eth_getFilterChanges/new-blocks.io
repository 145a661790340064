// a block filter collects the hashes of blocks sealed after it, once
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter"}
<< {"jsonrpc":"2.0","id":1,"result":"0xba15251c3960ffebc3ab6083b44cc4db"}
>> {"jsonrpc":"2.0","id":2,"method":"evm_mine","params":[1700000000]}
<< {"jsonrpc":"2.0","id":2,"result":"0x0"}
>> {"jsonrpc":"2.0","id":3,"method":"evm_mine","params":[1700000012]}
<< {"jsonrpc":"2.0","id":3,"result":"0x0"}
>> {"jsonrpc":"2.0","id":4,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":4,"result":["0x5a9a37cc4919f39ac3071a00d21f98d0bcbe18f0b097d2a8ff8adc39a9227174","0x65e785a9ad4df2cf02e4bbc65c7b175ef49a543cbd0a2fa9664faefc6aea56cb"]}
>> {"jsonrpc":"2.0","id":5,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":5,"result":[]}
